import { seededRandom } from './random.js';

/** People blink every 2–10 s, 3–4 s on average; one blink closes fast and opens slower (~250 ms). */
const MEAN_GAP_SEC = 3.6;
const MIN_GAP_SEC = 1.6;
const CLOSE_SEC = 0.08;
const HOLD_SEC = 0.04;
const OPEN_SEC = 0.14;
const BLINK_SEC = CLOSE_SEC + HOLD_SEC + OPEN_SEC;

/**
 * Eyelid closure a frame (0 open, 1 shut), at irregular intervals from a seeded random source, frame
 * after frame: the schedule is drawn as time goes on, so it needs no lesson length.
 */
export class BlinkSchedule {
  private readonly random: () => number;
  private nextStart: number;
  /** Blinks that may still be under way, by start time. */
  private blinks: number[] = [];

  constructor(
    private readonly fps: number,
    seed: number,
  ) {
    this.random = seededRandom(seed);
    this.nextStart = 0.6 + this.random() * 2;
  }

  /** Closure at frame f; frames are asked for in increasing order. */
  at(f: number): number {
    const t = f / this.fps;
    while (this.nextStart <= t) {
      const double = this.random() < 0.12; // an occasional double blink
      this.blinks.push(this.nextStart);
      if (double) this.blinks.push(this.nextStart + 0.35);
      this.nextStart += this.gap();
    }
    this.blinks = this.blinks.filter((at) => t - at <= BLINK_SEC);
    let lid = 0;
    for (const at of this.blinks) lid = Math.max(lid, closure(t - at));
    return lid;
  }

  /** Gamma(2)-distributed gaps: irregular, but rarely very short or very long. */
  private gap(): number {
    return (
      MIN_GAP_SEC -
      (MEAN_GAP_SEC - MIN_GAP_SEC) * 0.5 * Math.log(Math.max(1e-9, this.random() * this.random()))
    );
  }
}

/** The whole track's eyelids (BlinkSchedule over every frame). */
export function blinkTrack(frameCount: number, fps: number, seed: number): Float32Array {
  const schedule = new BlinkSchedule(fps, seed);
  return Float32Array.from({ length: frameCount }, (_, f) => schedule.at(f));
}

function closure(t: number): number {
  if (t < 0) return 0;
  if (t < CLOSE_SEC) return t / CLOSE_SEC;
  if (t < CLOSE_SEC + HOLD_SEC) return 1;
  const opening = (t - CLOSE_SEC - HOLD_SEC) / OPEN_SEC;
  return opening < 1 ? 1 - opening * opening * (3 - 2 * opening) : 0;
}
