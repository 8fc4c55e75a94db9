import { seededRandom } from './random.js';

/** Head pose a frame: offsets in units of the face height, roll in radians. */
export interface HeadTrack {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly roll: Float32Array;
}

const BREATHS_PER_SEC = 0.25;

/**
 * Slow idle sway (sums of incommensurate sines: never repeats visibly), breathing, and small nods on
 * stressed syllables (rises in mouth opening), so the presenter never looks frozen and moves with
 * the speech. Amplitudes are a few percent of the face: a living portrait, not a bobble-head.
 */
export function headTrack(open: Float32Array, fps: number, seed: number): HeadTrack {
  const n = open.length;
  const random = seededRandom(seed ^ 0x5f3759df);
  const phase = Array.from({ length: 6 }, () => random() * 2 * Math.PI);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const roll = new Float32Array(n);
  let nod = 0;
  let nodVelocity = 0;
  const dt = 1 / fps;
  for (let f = 0; f < n; f++) {
    const t = f * dt;
    // A damped spring kicked by rises in the mouth opening: the head dips on emphasis, then settles.
    const kick = Math.max(0, open[f]! - (open[f - 3] ?? 0));
    nodVelocity += (kick * 1.6 - nod * 38 - nodVelocity * 9) * dt;
    nod += nodVelocity * dt;
    const breath = Math.sin(2 * Math.PI * BREATHS_PER_SEC * t + phase[0]!);
    x[f] =
      0.012 * Math.sin(2 * Math.PI * 0.071 * t + phase[1]!) +
      0.007 * Math.sin(2 * Math.PI * 0.19 * t + phase[2]!);
    y[f] = 0.006 * breath + 0.006 * Math.sin(2 * Math.PI * 0.113 * t + phase[3]!) + nod;
    roll[f] =
      0.014 * Math.sin(2 * Math.PI * 0.057 * t + phase[4]!) +
      0.006 * Math.sin(2 * Math.PI * 0.23 * t + phase[5]!);
  }
  return { x, y, roll };
}
