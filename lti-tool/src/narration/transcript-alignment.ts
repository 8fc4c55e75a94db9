import type { SpeechSpans } from './speech-spans.js';

/** Seconds of misplacement a second of pause is worth: sentences end at pauses. */
const PAUSE_WORTH = 1.5;
/** Pauses longer than this are no more telling. */
const PAUSE_CAP_SEC = 1;
/** The cost of ending a sentence where the recording does not pause (a transcript with run-on speech). */
const NO_PAUSE_COST = 0.8;

/** How long a sentence takes to say, relatively: Han characters are a syllable each, letters a third. */
const weightOf = (text: string): number =>
  [...text].reduce((w, c) => w + (/\p{Script=Han}/u.test(c) ? 3 : /[\p{L}\p{N}]/u.test(c) ? 1 : 0), 0) || 1;

interface Candidate {
  /** Speech time (silences left out) at which the boundary falls. */
  readonly pos: number;
  /** Real time the sentence before ends and the one after starts. */
  readonly before: number;
  readonly after: number;
  readonly pause: number;
}

/**
 * Times an author's transcript against their recording: each sentence gets its span of the audio.
 * Sentences are first placed in proportion to their length along the speech (silences left out); each
 * boundary is then moved to a pause, choosing for all boundaries at once (dynamic programming) the
 * pauses that are long and near where the proportions put them, in order. Boundaries with no pause
 * near fall inside the speech where the proportions put them.
 */
export function alignTranscript(sentences: readonly string[], speech: SpeechSpans): [number, number][] {
  const { spans } = speech;
  if (!sentences.length || !spans.length) return [];
  const first = spans[0]![0];
  const last = spans[spans.length - 1]![1];
  if (sentences.length === 1) return [[first, last]];

  // Speech time at the end of each span, and real time at a speech time.
  const cumulative: number[] = [];
  spans.reduce((c, [a, b]) => (cumulative.push(c + b - a), c + b - a), 0);
  const total = cumulative[cumulative.length - 1]!;
  const realTime = (pos: number): number => {
    const found = cumulative.findIndex((c) => c >= pos);
    const k = found < 0 ? spans.length - 1 : found;
    return spans[k]![1] - (cumulative[k]! - pos);
  };

  const weights = sentences.map(weightOf);
  const sum = weights.reduce((a, b) => a + b, 0);
  const ideal: number[] = [];
  weights.slice(0, -1).reduce((c, w) => (ideal.push(((c + w) / sum) * total), c + w), 0);

  const candidates: Candidate[] = [
    ...spans.slice(0, -1).map(([, b], j) => ({
      pos: cumulative[j]!,
      before: b,
      after: spans[j + 1]![0],
      pause: spans[j + 1]![0] - b,
    })),
    ...ideal.map((pos) => ({ pos, before: realTime(pos), after: realTime(pos), pause: 0 })),
  ].sort((x, y) => x.pos - y.pos || y.pause - x.pause);

  const cost = (i: number, c: Candidate): number =>
    Math.abs(c.pos - ideal[i]!) -
    PAUSE_WORTH * Math.min(c.pause, PAUSE_CAP_SEC) +
    (c.pause ? 0 : NO_PAUSE_COST);
  const m = candidates.length;
  const k = ideal.length;
  let prev = new Float64Array(m).fill(Infinity);
  const from = new Int32Array(k * m).fill(-1);
  candidates.forEach((c, j) => (prev[j] = cost(0, c)));
  for (let i = 1; i < k; i++) {
    const next = new Float64Array(m).fill(Infinity);
    let best = Infinity;
    let bestAt = -1;
    for (let j = 0; j < m; j++) {
      if (bestAt >= 0) {
        next[j] = best + cost(i, candidates[j]!);
        from[i * m + j] = bestAt;
      }
      if (prev[j]! < best) [best, bestAt] = [prev[j]!, j];
    }
    prev = next;
  }
  let end = prev.indexOf(Math.min(...prev));
  const chosen: Candidate[] = new Array(k);
  for (let i = k - 1; i >= 0; i--) {
    chosen[i] = candidates[end]!;
    end = from[i * m + end]!;
  }

  return sentences.map((_, i) => {
    const start = i === 0 ? first : chosen[i - 1]!.after;
    const stop = i === sentences.length - 1 ? last : chosen[i]!.before;
    return [start, Math.max(stop, start + 0.1)];
  });
}
