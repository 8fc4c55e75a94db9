import fc from 'fast-check';
import {
  coverageOf,
  coveredSec,
  creditable,
  mergeIntervals,
  type Interval,
} from '../../lti-tool/src/progress/coverage.js';

const DURATION = 120;
// Whole seconds, so a brute-force count of covered seconds is an exact oracle.
const interval = fc
  .tuple(fc.integer({ min: -10, max: DURATION + 10 }), fc.integer({ min: 0, max: 40 }))
  .map(([s, len]): Interval => [s, s + len]);
const intervals = fc.array(interval, { maxLength: 30 });

/** The oracle: which whole seconds [k, k+1) some interval covers. */
const bruteForce = (xs: readonly Interval[]): number => {
  let n = 0;
  for (let k = 0; k < DURATION; k++) if (xs.some(([s, e]) => s <= k && k + 1 <= e)) n++;
  return n;
};

describe('watch coverage (property-based)', () => {
  it('counts every covered second once, whatever the overlaps', () => {
    fc.assert(fc.property(intervals, (xs) => coveredSec(mergeIntervals(xs, DURATION)) === bruteForce(xs)));
  });

  it('is the same for duplicated and out-of-order heartbeats', () => {
    const replayed = intervals.chain((xs) =>
      fc.shuffledSubarray([...xs, ...xs], { minLength: 2 * xs.length }).map((ys) => [xs, ys] as const),
    );
    fc.assert(
      fc.property(
        replayed,
        ([xs, ys]) =>
          JSON.stringify(mergeIntervals(ys, DURATION)) === JSON.stringify(mergeIntervals(xs, DURATION)),
      ),
    );
  });

  it('merges step by step as it does at once (the server merges heartbeat by heartbeat)', () => {
    fc.assert(
      fc.property(intervals, (xs) => {
        let acc: Interval[] = [];
        for (const x of xs) acc = mergeIntervals([...acc, x], DURATION);
        return JSON.stringify(acc) === JSON.stringify(mergeIntervals(xs, DURATION));
      }),
    );
  });

  it('never decreases, stays within 0–100 %, and rewatching adds nothing', () => {
    fc.assert(
      fc.property(intervals, interval, (xs, x) => {
        const before = coverageOf(mergeIntervals(xs, DURATION), DURATION);
        const after = coverageOf(mergeIntervals([...xs, x], DURATION), DURATION);
        const again = coverageOf(mergeIntervals([...xs, x, x], DURATION), DURATION);
        return before >= 0 && after <= 1 && after >= before && again === after;
      }),
    );
  });

  it('gives nothing for a seek: jumping to the end credits only what was played', () => {
    // Played 0–10 s, sought to 110 s, played to the end.
    const merged = mergeIntervals(
      [
        [0, 10],
        [110, 120],
      ],
      DURATION,
    );
    expect(coveredSec(merged)).toBe(20);
    expect(coverageOf(merged, DURATION)).toBeCloseTo(1 / 6);
    expect(coverageOf(mergeIntervals([[0, 1]], 0), 0)).toBe(0);
  });

  it('never credits more new seconds than allowed, and never takes back what was credited', () => {
    fc.assert(
      fc.property(intervals, intervals, fc.integer({ min: 0, max: 200 }), (a, b, allowed) => {
        const previous = mergeIntervals(a, DURATION);
        const next = mergeIntervals([...a, ...b], DURATION);
        const granted = creditable(previous, next, allowed);
        const gained = coveredSec(granted) - coveredSec(previous);
        const keepsPrevious =
          coveredSec(mergeIntervals([...granted, ...previous], DURATION)) === coveredSec(granted);
        return (
          gained <= allowed + 1e-9 && gained >= 0 && keepsPrevious && coveredSec(granted) <= coveredSec(next)
        );
      }),
    );
  });
});
