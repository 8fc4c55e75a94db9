import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type SpeechPart = { say: string; voice?: 'en-us' | 'cmn' } | { silence: number };

export interface Speech {
  readonly path: string;
  /** Where each part starts and ends, seconds. */
  readonly parts: ReadonlyArray<SpeechPart & { start: number; end: number }>;
  readonly durationSec: number;
}

/** A new scratch folder under this test run's own (removed after the run; keep with VT_KEEP_TEST_FILES=1). */
export const scratchDir = (prefix = 'vt-test-'): string =>
  mkdtempSync(join(process.env.VT_TEST_TMP ?? tmpdir(), prefix));

/** Real speech from espeak-ng, with exact silences between the parts, as one 22.05 kHz mono WAV. */
export async function makeSpeech(parts: SpeechPart[], dir = scratchDir()): Promise<Speech> {
  const files: string[] = [];
  const timed: Array<SpeechPart & { start: number; end: number }> = [];
  let t = 0;
  for (const [i, part] of parts.entries()) {
    const file = join(dir, `part-${i}.wav`);
    if ('say' in part) await run('espeak-ng', ['-v', part.voice ?? 'en-us', '-w', file, part.say]);
    else
      await run('sox', ['-n', '-r', '22050', '-c', '1', '-b', '16', file, 'trim', '0', String(part.silence)]);
    const len = Number((await run('soxi', ['-D', file])).stdout.trim());
    timed.push({ ...part, start: t, end: t + len });
    t += len;
    files.push(file);
  }
  const path = join(dir, 'speech.wav');
  await run('sox', [...files, path]);
  return { path, parts: timed, durationSec: t };
}

/** Converts audio with ffmpeg (format from the extension), e.g. to MP3 stereo 44.1 kHz. */
export async function convertAudio(from: string, to: string, args: string[] = []): Promise<string> {
  await run('ffmpeg', ['-v', 'error', '-y', '-i', from, ...args, to]);
  return to;
}

/** The same recording played `times` times in a row (sox), for long lessons. */
export async function repeatAudio(from: string, to: string, times: number): Promise<string> {
  await run('sox', [from, to, 'repeat', String(times - 1)]);
  return to;
}
