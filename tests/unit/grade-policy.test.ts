import { scoreFor, SCORE_STEP_PERCENT, type Standing } from '../../lti-tool/src/progress/grade-policy.js';

/**
 * The grade policy alone, in milliseconds (the integration suite checks it end to end through the
 * reference platform): which change of a learner's standing sends a score, and which score.
 */
const at = new Date('2026-12-02T10:00:00.000Z');
const standing = (grade: number, scoredPercent: number, completed = false): Standing => ({
  grade,
  scoredPercent,
  completed,
});
const score = (before: Standing, after: Standing, max = 20) => scoreFor(before, after, 'u1', max, at);

describe('the grade policy', () => {
  it('sends Started (Pending) at the first heartbeat, whatever the coverage', () => {
    expect(score(standing(0, -1), standing(0, -1))).toEqual({
      userId: 'u1',
      scoreGiven: 0,
      scoreMaximum: 20,
      activityProgress: 'Started',
      gradingProgress: 'Pending',
      timestamp: '2026-12-02T10:00:00.000Z',
    });
  });

  it(`sends InProgress only every ${SCORE_STEP_PERCENT} points of coverage`, () => {
    expect(score(standing(0.05, 0), standing(0.09, 0))).toBeUndefined();
    expect(score(standing(0.09, 0), standing(0.1, 0))).toMatchObject({
      activityProgress: 'InProgress',
      gradingProgress: 'Pending',
      scoreGiven: 2,
    });
    expect(score(standing(0.15, 10), standing(0.19, 10))).toBeUndefined();
  });

  it('sends Completed + FullyGraded when the completion rule is met, even within a step', () => {
    expect(score(standing(0.88, 80), standing(0.9, 80, true))).toMatchObject({
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
      scoreGiven: 18,
    });
  });

  it('sends again when coverage grows after completion, and a last time at 100 %', () => {
    expect(score(standing(0.9, 90, true), standing(0.95, 90, true))).toBeUndefined();
    expect(score(standing(0.95, 90, true), standing(1, 90, true))).toMatchObject({
      activityProgress: 'Completed',
      scoreGiven: 20,
    });
    expect(score(standing(1, 100, true), standing(1, 100, true))).toBeUndefined();
  });

  it('scales the grade to the line item and rounds it to hundredths', () => {
    expect(score(standing(0, -1), standing(1 / 3, -1), 7)!.scoreGiven).toBe(2.33);
  });
});
