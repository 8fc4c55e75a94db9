/** Seconds of a lesson a learner played, from `start` to `end`. */
export type Interval = readonly [start: number, end: number];

/**
 * Players report time about every 250 ms: a gap shorter than this between two reported stretches is
 * not a gap, and neither is one that short at the lesson's start or end.
 */
export const RESOLUTION_SEC = 0.3;

/**
 * The union of watched intervals, sorted and merged, clipped to the lesson. Union is what makes
 * progress trustworthy: rewatching a part adds nothing, duplicate or out-of-order heartbeats change
 * nothing, and a seek leaves a gap that nobody is credited for.
 */
export function mergeIntervals(intervals: Iterable<Interval>, durationSec: number): Interval[] {
  const clipped: Interval[] = [];
  for (const [s, e] of intervals) {
    if (!Number.isFinite(s) || !Number.isFinite(e)) continue;
    // The media file and the lesson's length may differ by a frame or two at either end.
    const start = s < RESOLUTION_SEC ? 0 : s;
    const end = Math.min(durationSec, e > durationSec - RESOLUTION_SEC ? durationSec : e);
    if (end > start) clipped.push([start, end]);
  }
  clipped.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [s, e] of clipped) {
    const last = merged[merged.length - 1];
    if (last && s < last[1] + RESOLUTION_SEC) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  return merged;
}

/** Seconds covered by merged intervals. */
export const coveredSec = (merged: readonly Interval[]): number =>
  merged.reduce((sum, [s, e]) => sum + (e - s), 0);

/** Coverage of the lesson, 0–1. A lesson of unknown length (no finished render) has none. */
export const coverageOf = (merged: readonly Interval[], durationSec: number): number =>
  durationSec > 0 ? Math.min(1, coveredSec(merged) / durationSec) : 0;

/**
 * Keeps the newly watched seconds to what the wall clock allows (playback at most `maxRate` times
 * real time, plus a little slack), so a forged heartbeat cannot claim a whole lesson at once. Returns
 * `next` when it is plausible, else `previous` with as much of the new ground as is allowed, earliest
 * first.
 */
export function creditable(
  previous: readonly Interval[],
  next: readonly Interval[],
  allowedSec: number,
): Interval[] {
  const gained = coveredSec(next) - coveredSec(previous);
  if (gained <= allowedSec) return [...next];
  // Walk the new ground in order and stop when the allowance is spent.
  let budget = Math.max(0, allowedSec);
  const fresh = subtract(next, previous);
  const granted: Interval[] = [...previous];
  for (const [s, e] of fresh) {
    if (budget <= 0) break;
    const take = Math.min(e - s, budget);
    granted.push([s, s + take]);
    budget -= take;
  }
  return mergeIntervals(granted, Infinity);
}

/** Parts of merged `a` not in merged `b`. */
function subtract(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const [s0, e0] of a) {
    let s = s0;
    for (const [bs, be] of b) {
      if (be <= s || bs >= e0) continue;
      if (bs > s) out.push([s, bs]);
      s = Math.max(s, be);
    }
    if (s < e0) out.push([s, e0]);
  }
  return out;
}

/** Parts of merged `a` that are also in merged `b` (a learner playing again what they had played). */
export function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const [s0, e0] of a)
    for (const [s1, e1] of b) {
      const s = Math.max(s0, s1);
      const e = Math.min(e0, e1);
      if (e > s) out.push([s, e]);
    }
  return out;
}

/**
 * How many of `learners` played each whole second of a lesson `durationSec` long: second `i` counts
 * a learner whose intervals cover its middle.
 */
export function perSecond(learners: readonly (readonly Interval[])[], durationSec: number): number[] {
  const seconds = Math.max(0, Math.ceil(durationSec));
  const delta = new Array<number>(seconds + 1).fill(0);
  for (const intervals of learners)
    for (const [s, e] of intervals) {
      // Seconds whose middle (i + 0.5) lies in [s, e].
      const first = Math.max(0, Math.ceil(s - 0.5));
      const last = Math.min(seconds - 1, Math.floor(e - 0.5));
      if (last < first) continue;
      delta[first]! += 1;
      delta[last + 1]! -= 1;
    }
  const counts: number[] = [];
  let running = 0;
  for (let i = 0; i < seconds; i++) counts.push((running += delta[i]!));
  return counts;
}
