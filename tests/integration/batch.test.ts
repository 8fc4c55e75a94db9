import { copyFileSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runVt } from '../helpers/cli.js';
import { PORTRAIT } from '../helpers/paths.js';
import { convertAudio, makeSpeech, scratchDir } from '../helpers/speech.js';

describe('vt batch', () => {
  let folder: string;
  beforeAll(async () => {
    folder = scratchDir();
    const work = scratchDir();
    const one = await makeSpeech([{ say: 'Lesson one: the fire exits.' }], work);
    copyFileSync(one.path, join(folder, 'lesson-1.wav'));
    const two = await makeSpeech([{ say: '第二课：急救箱在哪里。', voice: 'cmn' }], scratchDir());
    await convertAudio(two.path, join(folder, 'lesson-2.mp3'));
    writeFileSync(join(folder, 'lesson-3.wav'), 'not really audio');
    writeFileSync(join(folder, 'readme.txt'), 'ignored: not an audio file name');
  });

  it('renders each audio file, logs a line each, goes on past failures and exits non-zero', async () => {
    const cli = await runVt(['batch', folder, '--image', PORTRAIT, '--size', '384*256']);
    expect(cli.code).toBe(1);
    const lines = cli.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^\[1\/3\] ok {4}lesson-1\.wav → lesson-1\.mp4 {2}[\d.]+ s, [\d.]+ s to render \([\d.]+× real time\)$/,
    );
    expect(lines[1]).toMatch(/^\[2\/3\] ok {4}lesson-2\.mp3 → lesson-2\.mp4/);
    expect(lines[2]).toMatch(
      /^\[3\/3\] FAIL {2}lesson-3\.wav: The voice track is not an audio file .*\[NOT_AUDIO\]$/,
    );
    expect(lines[3]).toBe('batch: 2 rendered, 0 skipped, 1 failed');
    const out = join(folder, 'rendered');
    expect(readdirSync(out).sort()).toEqual([
      'lesson-1.hls',
      'lesson-1.jpg',
      'lesson-1.json',
      'lesson-1.mp4',
      'lesson-2.hls',
      'lesson-2.jpg',
      'lesson-2.json',
      'lesson-2.mp4',
    ]);
  });

  it('skips what is already done and re-renders what changed', async () => {
    const out = join(folder, 'rendered');
    const before = statSync(join(out, 'lesson-2.mp4')).mtimeMs;
    copyFileSync(
      (
        await makeSpeech(
          [{ say: 'Lesson one, second edition: the fire exits and the assembly point.' }],
          scratchDir(),
        )
      ).path,
      join(folder, 'lesson-1.wav'),
    );
    const cli = await runVt(['batch', folder, '--image', PORTRAIT, '--size', '384*256']);
    const lines = cli.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\[1\/3\] ok {4}lesson-1\.wav/);
    expect(lines[1]).toBe('[2/3] skip  lesson-2.mp3 (already rendered, unchanged)');
    expect(lines[2]).toMatch(/FAIL {2}lesson-3\.wav/);
    expect(lines[3]).toBe('batch: 1 rendered, 1 skipped, 1 failed');
    expect(statSync(join(out, 'lesson-2.mp4')).mtimeMs).toBe(before);

    // A different prompt is different work.
    const reprompt = await runVt([
      'batch',
      folder,
      '--image',
      PORTRAIT,
      '--size',
      '384*256',
      '--prompt',
      'close-up',
    ]);
    expect(reprompt.stdout).toContain('batch: 2 rendered, 0 skipped, 1 failed');
  });

  it('keeps same-named files apart and exits 0 when all succeed', async () => {
    const dir = scratchDir();
    const speech = await makeSpeech([{ say: 'Same name, two formats.' }], scratchDir());
    copyFileSync(speech.path, join(dir, 'intro.wav'));
    await convertAudio(speech.path, join(dir, 'intro.flac'));
    const cli = await runVt([
      'batch',
      dir,
      '--image',
      PORTRAIT,
      '--size',
      '384*256',
      '--out',
      join(dir, 'out'),
    ]);
    expect(cli.code).toBe(0);
    expect(existsSync(join(dir, 'out', 'intro-wav.mp4'))).toBe(true);
    expect(existsSync(join(dir, 'out', 'intro-flac.mp4'))).toBe(true);
  });

  it('stops at once when the portrait itself is unusable', async () => {
    const cli = await runVt(['batch', folder, '--image', join(folder, 'lesson-3.wav')]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('[NOT_AN_IMAGE]');
  });
});
