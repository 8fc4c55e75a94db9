import { timeMap } from '../../lti-tool/src/lessons/time-map.js';

describe('a language version’s time map onto the lesson', () => {
  it('anchors at every chapter when both have as many, and runs end to end', () => {
    expect(
      timeMap(
        { durationSec: 30, chapterStarts: [0.3, 12.5, 20] },
        { durationSec: 20, chapterStarts: [0.3, 6.2, 15] },
      ),
    ).toEqual([
      [0, 0],
      [0.3, 0.3],
      [12.5, 6.2],
      [20, 15],
      [30, 20],
    ]);
  });

  it('runs in proportion when the chapters differ in number, or a start would go backwards', () => {
    expect(
      timeMap({ durationSec: 30, chapterStarts: [1, 12] }, { durationSec: 20, chapterStarts: [1] }),
    ).toEqual([
      [0, 0],
      [30, 20],
    ]);
    expect(
      timeMap({ durationSec: 30, chapterStarts: [5, 4, 40] }, { durationSec: 20, chapterStarts: [3, 9, 10] }),
    ).toEqual([
      [0, 0],
      [5, 3],
      [30, 20],
    ]);
  });
});
