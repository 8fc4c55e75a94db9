import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { runVt } from '../helpers/cli.js';
import { PORTRAIT } from '../helpers/paths.js';
import { convertAudio, makeSpeech, scratchDir } from '../helpers/speech.js';

let inputs: string;
let wav: string;

const render = (image: string, audio: string, out: string, ...more: string[]) =>
  runVt(['render', '--image', image, '--audio', audio, '--out', out, ...more]);

beforeAll(async () => {
  inputs = scratchDir();
  wav = (await makeSpeech([{ say: 'A short and valid voice track.' }], inputs)).path;
  copyFileSync(wav, join(inputs, 'voice-named.png'));
  copyFileSync(PORTRAIT, join(inputs, 'portrait-named.wav'));
  writeFileSync(join(inputs, 'notes.jpg'), 'these are my notes, not a photo\n');
  writeFileSync(join(inputs, 'notes.mp3'), 'Just text pretending to be an MP3.\n'.repeat(50));
  writeFileSync(join(inputs, 'empty.wav'), '');
  writeFileSync(join(inputs, 'truncated.png'), readFileSync(PORTRAIT).subarray(0, 4000));
  const m4a = await convertAudio(wav, join(inputs, 'full.m4a'));
  writeFileSync(join(inputs, 'truncated.m4a'), readFileSync(m4a).subarray(0, 2000));
  await sharp({ create: { width: 600, height: 600, channels: 3, background: { r: 120, g: 160, b: 90 } } })
    .png()
    .toFile(join(inputs, 'no-face.png'));
  const tiny = await sharp(PORTRAIT).resize(180, 180).toBuffer();
  await sharp({ create: { width: 900, height: 900, channels: 3, background: { r: 210, g: 210, b: 210 } } })
    .composite([{ input: tiny, left: 360, top: 360 }])
    .png()
    .toFile(join(inputs, 'tiny-face.png'));
});

const cases: Array<[string, string, () => string[]]> = [
  [
    'a voice track named .png as the portrait',
    'NOT_AN_IMAGE',
    () => ['--image', join(inputs, 'voice-named.png'), '--audio', wav],
  ],
  [
    'a text file named .jpg as the portrait',
    'NOT_AN_IMAGE',
    () => ['--image', join(inputs, 'notes.jpg'), '--audio', wav],
  ],
  [
    'a truncated PNG portrait',
    'IMAGE_CORRUPT',
    () => ['--image', join(inputs, 'truncated.png'), '--audio', wav],
  ],
  ['a portrait without a face', 'NO_FACE', () => ['--image', join(inputs, 'no-face.png'), '--audio', wav]],
  ['a face under 64 px', 'FACE_TOO_SMALL', () => ['--image', join(inputs, 'tiny-face.png'), '--audio', wav]],
  [
    'a photo named .wav as the voice',
    'NOT_AUDIO',
    () => ['--image', PORTRAIT, '--audio', join(inputs, 'portrait-named.wav')],
  ],
  [
    'a text file named .mp3 as the voice',
    'NOT_AUDIO',
    () => ['--image', PORTRAIT, '--audio', join(inputs, 'notes.mp3')],
  ],
  [
    'a zero-length audio file',
    'AUDIO_EMPTY',
    () => ['--image', PORTRAIT, '--audio', join(inputs, 'empty.wav')],
  ],
  ['a truncated M4A', 'AUDIO_CORRUPT', () => ['--image', PORTRAIT, '--audio', join(inputs, 'truncated.m4a')]],
  [
    'audio over the length limit',
    'AUDIO_TOO_LONG',
    () => ['--image', PORTRAIT, '--audio', wav, '--max-duration', '1'],
  ],
  ['an unknown size', 'BAD_SIZE', () => ['--image', PORTRAIT, '--audio', wav, '--size', '640*480']],
  ['a missing portrait', 'INPUT_NOT_FOUND', () => ['--image', join(inputs, 'nope.png'), '--audio', wav]],
];

describe('bad input gets a clear error and leaves nothing behind', () => {
  it.each(cases)('%s → %s', async (_what, code, args) => {
    const out = scratchDir();
    const cli = await runVt(['render', ...args(), '--out', join(out, 'lesson.mp4')]);
    expect(cli.code).toBe(2);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toMatch(new RegExp(`^vt: [A-Z].+ \\[${code}\\]\\n$`));
    expect(cli.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readdirSync(out)).toEqual([]);
  });

  it('tells the user how to fix a face problem', async () => {
    const cli = await render(join(inputs, 'no-face.png'), wav, join(scratchDir(), 'x.mp4'));
    expect(cli.stderr).toContain('Use a clear, front-facing portrait of at least 512×512 pixels.');
  });

  it('refuses an output that is not an .mp4', async () => {
    const cli = await render(PORTRAIT, wav, join(scratchDir(), 'lesson.mov'));
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('[BAD_OUTPUT]');
  });

  it('refuses to overwrite an existing lesson unless --force', async () => {
    const out = join(scratchDir(), 'lesson.mp4');
    expect((await render(PORTRAIT, wav, out)).code).toBe(0);
    const before = statSync(out).mtimeMs;
    const again = await render(PORTRAIT, wav, out);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(
      'lesson.mp4, lesson.jpg, lesson.hls, lesson.json already exist; use --force to replace. [OUTPUT_EXISTS]',
    );
    expect(statSync(out).mtimeMs).toBe(before);
    const forced = await render(PORTRAIT, wav, out, '--prompt', 'second take', '--force');
    expect(forced.code).toBe(0);
    expect(JSON.parse(readFileSync(out.replace('.mp4', '.json'), 'utf8')).prompt).toBe('second take');
  });

  it('keeps an existing lesson intact when a forced re-render fails', async () => {
    const out = join(scratchDir(), 'lesson.mp4');
    expect((await render(PORTRAIT, wav, out)).code).toBe(0);
    const bytes = readFileSync(out);
    const failed = await render(join(inputs, 'no-face.png'), wav, out, '--force');
    expect(failed.code).toBe(2);
    expect(readFileSync(out).equals(bytes)).toBe(true);
    expect(readdirSync(join(out, '..')).sort()).toEqual([
      'lesson.hls',
      'lesson.jpg',
      'lesson.json',
      'lesson.mp4',
    ]);
  });
});
