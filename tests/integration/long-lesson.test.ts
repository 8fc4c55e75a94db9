import { join } from 'node:path';
import { runVt } from '../helpers/cli.js';
import { PORTRAIT } from '../helpers/paths.js';
import { makeSpeech, repeatAudio, scratchDir } from '../helpers/speech.js';
import { ffprobe } from '../helpers/video.js';

describe('a lesson of several minutes', () => {
  it('renders with flat memory: the same peak as a short one', async () => {
    const dir = scratchDir();
    const unit = await makeSpeech(
      [
        {
          say: 'This part of the lesson repeats, to make a long recording. Memory must not grow with its length.',
        },
        { silence: 1 },
      ],
      dir,
    );
    const short = await repeatAudio(unit.path, join(dir, 'short.wav'), 2);
    const long = await repeatAudio(unit.path, join(dir, 'long.wav'), Math.ceil(200 / unit.durationSec));
    const shortRun = await runVt([
      'render',
      '--image',
      PORTRAIT,
      '--audio',
      short,
      '--out',
      join(dir, 'short.mp4'),
    ]);
    const longRun = await runVt([
      'render',
      '--image',
      PORTRAIT,
      '--audio',
      long,
      '--out',
      join(dir, 'long.mp4'),
    ]);
    expect(shortRun.code).toBe(0);
    expect(longRun.code).toBe(0);
    expect(Number((await ffprobe(join(dir, 'long.mp4'))).format.duration)).toBeGreaterThan(180);

    expect(longRun.peakRssMb).toBeLessThan(400);
    expect(longRun.peakRssMb).toBeLessThan(shortRun.peakRssMb + 40);
    // And no drift while it runs: the last third peaks no higher than the middle third.
    const s = longRun.rssSamplesMb;
    const third = Math.floor(s.length / 3);
    expect(Math.max(...s.slice(2 * third))).toBeLessThan(Math.max(...s.slice(third, 2 * third)) + 25);
  });
});
