import { seededRandom } from './random.js';

/** People blink every 2–10 s, 3–4 s on average; one blink closes fast and opens slower (~250 ms). */
const MEAN_GAP_SEC = 3.6;
const MIN_GAP_SEC = 1.6;
const CLOSE_SEC = 0.08;
const HOLD_SEC = 0.04;
const OPEN_SEC = 0.14;

/** Eyelid closure a frame (0 open, 1 shut), at irregular intervals from a seeded random source. */
export function blinkTrack(frameCount: number, fps: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const lid = new Float32Array(frameCount);
  const durationSec = frameCount / fps;
  // Gamma(2)-distributed gaps: irregular, but rarely very short or very long.
  const gap = (): number =>
    MIN_GAP_SEC - (MEAN_GAP_SEC - MIN_GAP_SEC) * 0.5 * Math.log(Math.max(1e-9, random() * random()));
  for (let start = 0.6 + random() * 2; start < durationSec; start += gap()) {
    const double = random() < 0.12; // an occasional double blink
    for (const at of double ? [start, start + 0.35] : [start]) {
      const first = Math.floor(at * fps);
      const last = Math.min(frameCount - 1, Math.ceil((at + CLOSE_SEC + HOLD_SEC + OPEN_SEC) * fps));
      for (let f = Math.max(0, first); f <= last; f++) lid[f] = Math.max(lid[f]!, closure(f / fps - at));
    }
  }
  return lid;
}

function closure(t: number): number {
  if (t < 0) return 0;
  if (t < CLOSE_SEC) return t / CLOSE_SEC;
  if (t < CLOSE_SEC + HOLD_SEC) return 1;
  const opening = (t - CLOSE_SEC - HOLD_SEC) / OPEN_SEC;
  return opening < 1 ? 1 - opening * opening * (3 - 2 * opening) : 0;
}
