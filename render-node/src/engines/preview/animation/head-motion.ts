import { seededRandom } from './random.js';

/** Head pose a frame: offsets in units of the face height, roll in radians. */
export interface HeadTrack {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly roll: Float32Array;
}

export interface HeadPose {
  headX: number;
  headY: number;
  roll: number;
}

const BREATHS_PER_SEC = 0.25;

/**
 * Slow idle sway (sums of incommensurate sines: never repeats visibly), breathing, and small nods on
 * stressed syllables (rises in mouth opening), so the presenter never looks frozen and moves with
 * the speech. Amplitudes are a few percent of the face: a living portrait, not a bobble-head.
 * Frame after frame, from the mouth's opening so far (causal).
 */
export class HeadMotion {
  private readonly phase: number[];
  private readonly dt: number;
  /** The mouth's opening in the last three frames, oldest first. */
  private readonly opened = [0, 0, 0];
  private nod = 0;
  private nodVelocity = 0;
  private next = 0;

  constructor(fps: number, seed: number) {
    const random = seededRandom(seed ^ 0x5f3759df);
    this.phase = Array.from({ length: 6 }, () => random() * 2 * Math.PI);
    this.dt = 1 / fps;
  }

  /** Frame f's head pose, given its mouth opening; frames are asked for in order, 0 first. */
  at(f: number, open: number, into: HeadPose): void {
    if (f !== this.next) throw new Error(`head motion asked for frame ${f}, expected ${this.next}`);
    this.next++;
    const { dt, phase } = this;
    const t = f * dt;
    // A damped spring kicked by rises in the mouth opening: the head dips on emphasis, then settles.
    const kick = Math.max(0, open - this.opened.shift()!);
    this.opened.push(open);
    this.nodVelocity += (kick * 1.6 - this.nod * 38 - this.nodVelocity * 9) * dt;
    this.nod += this.nodVelocity * dt;
    const breath = Math.sin(2 * Math.PI * BREATHS_PER_SEC * t + phase[0]!);
    into.headX =
      0.012 * Math.sin(2 * Math.PI * 0.071 * t + phase[1]!) +
      0.007 * Math.sin(2 * Math.PI * 0.19 * t + phase[2]!);
    into.headY = 0.006 * breath + 0.006 * Math.sin(2 * Math.PI * 0.113 * t + phase[3]!) + this.nod;
    into.roll =
      0.014 * Math.sin(2 * Math.PI * 0.057 * t + phase[4]!) +
      0.006 * Math.sin(2 * Math.PI * 0.23 * t + phase[5]!);
  }
}

/** The whole track's head motion (HeadMotion over every frame). */
export function headTrack(open: Float32Array, fps: number, seed: number): HeadTrack {
  const n = open.length;
  const motion = new HeadMotion(fps, seed);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const roll = new Float32Array(n);
  const pose: HeadPose = { headX: 0, headY: 0, roll: 0 };
  for (let f = 0; f < n; f++) {
    motion.at(f, open[f]!, pose);
    x[f] = pose.headX;
    y[f] = pose.headY;
    roll[f] = pose.roll;
  }
  return { x, y, roll };
}
