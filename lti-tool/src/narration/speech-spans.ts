import type { AudioDecoder } from '../media/media-tools.js';

/** Where a recording is speaking: its spans of speech, in order, seconds. */
export interface SpeechSpans {
  readonly spans: readonly (readonly [number, number])[];
  readonly durationSec: number;
}

const RATE = 16_000;
const FRAME = 160; // 10 ms
/** Quieter stretches shorter than this are inside a word or a breath, not a pause. */
const MIN_PAUSE_SEC = 0.12;
const MIN_SPEECH_SEC = 0.05;

/**
 * Finds speech by loudness, relative to the recording's own range: a frame is speech when it is well
 * above the quiet floor and not far below the loud peak, so a noisy room and a studio both work.
 * Streams the audio through the decoder (ffmpeg, in the render node's media code): memory is one
 * number per 10 ms.
 */
export async function speechSpans(
  audioPath: string,
  maxSeconds: number,
  decodeAudio: AudioDecoder,
): Promise<SpeechSpans> {
  const db: number[] = [];
  let sum = 0;
  let n = 0;
  for await (const chunk of decodeAudio(audioPath, RATE)) {
    for (const s of chunk) {
      sum += s * s;
      if (++n % FRAME === 0) {
        db.push(10 * Math.log10(sum / FRAME + 1e-10));
        sum = 0;
      }
    }
    if (n > maxSeconds * RATE) throw new Error(`the recording is longer than ${maxSeconds} s`);
  }
  const sorted = Float64Array.from(db).sort();
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? -100;
  const threshold = Math.max(at(0.1) + 12, at(0.95) - 35);

  const spans: [number, number][] = [];
  const frameSec = FRAME / RATE;
  db.forEach((v, f) => {
    if (v < threshold) return;
    const t = f * frameSec;
    const last = spans[spans.length - 1];
    if (last && t - last[1] < MIN_PAUSE_SEC) last[1] = t + frameSec;
    else spans.push([t, t + frameSec]);
  });
  return {
    spans: spans.filter(([a, b]) => b - a >= MIN_SPEECH_SEC),
    durationSec: n / RATE,
  };
}
