import { LIVEAVATAR } from './cli-flags.js';
import { FRAMES_PER_CLIP, modelClips, modelFrames } from './clip-count.js';

/**
 * A part of a long lesson, rendered by one run of the model. Separate runs cannot continue each other
 * (each starts again from the portrait), so a part ends on a pause in the voice and runs
 * `overlapFrames` into the next part, under a cross-fade that hides the pose reset.
 */
export interface ClipBatch {
  readonly index: number;
  /** The lesson frames this part stands for: [startFrame, endFrame) at 25 fps. */
  readonly startFrame: number;
  readonly endFrame: number;
  /** Frames rendered after endFrame, blended with the next part's first frames (0 for the last). */
  readonly overlapFrames: number;
  /** The audio the model gets: the part's frames and the overlap, plus spare so no frame is missing. */
  readonly startSec: number;
  readonly endSec: number;
  /** Clips the model will render for that audio (its own count: clip-count.ts). */
  readonly clips: number;
}

/** Frames the part's video must have: its own and the overlap. */
export const partFrames = (b: ClipBatch): number => b.endFrame - b.startFrame + b.overlapFrames;

export interface BatchOptions {
  /** Most clips one run may render (host memory and the silent final decode grow with it). */
  readonly maxClips: number;
  /** Length of the cross-fade at a join, frames. */
  readonly crossfadeFrames: number;
  /**
   * How much voice each frame holds (0 silent … 1 speech), from the voice analysis; cuts go where a
   * whole cross-fade fits in the quietest stretch near the longest batch. Without it, cuts are fixed.
   */
  readonly voice?: ArrayLike<number>;
  /** How far before the longest batch a cut may move to find a pause, frames. */
  readonly searchFrames?: number;
}

const FPS = LIVEAVATAR.fps;
const sec = (frames: number): number => Math.round((frames / FPS) * 1e6) / 1e6;

/**
 * Splits a lesson into parts of at most `maxClips` clips. Each part's audio has enough spare frames
 * that the model's clip count covers every frame the part needs (a stretch of exactly k clips gets
 * k clips, 3 frames short: clip-count.ts); the engine trims the spare when it joins the parts.
 */
export function planClipBatches(audioSec: number, o: BatchOptions): ClipBatch[] {
  const total = Math.max(1, Math.round(audioSec * FPS));
  const overlap = o.crossfadeFrames;
  // Room for the spare frames below, which are at most a few frames.
  const longest = FRAMES_PER_CLIP * o.maxClips - 3 - 8;
  const batches: ClipBatch[] = [];
  let start = 0;
  while (total - start > longest) {
    const ideal = start + longest - overlap;
    const cut = quietestCut(
      o.voice,
      Math.max(start + overlap + 1, ideal - (o.searchFrames ?? 375)),
      ideal,
      overlap,
    );
    const need = cut + overlap - start;
    let spare = 1;
    while (modelFrames(sec(need + spare)) < need) spare++;
    const endSec = sec(Math.min(total, cut + overlap + spare));
    batches.push({
      index: batches.length,
      startFrame: start,
      endFrame: cut,
      overlapFrames: overlap,
      startSec: sec(start),
      endSec,
      clips: modelClips(endSec - sec(start)),
    });
    start = cut;
  }
  batches.push({
    index: batches.length,
    startFrame: start,
    endFrame: total,
    overlapFrames: 0,
    startSec: sec(start),
    endSec: audioSec,
    clips: modelClips(audioSec - sec(start)),
  });
  return batches;
}

/** The cut in [from, to] whose next `window` frames hold the least voice; the latest on a tie. */
function quietestCut(voice: ArrayLike<number> | undefined, from: number, to: number, window: number): number {
  if (!voice || from >= to) return to;
  const at = (f: number): number => (f < voice.length ? voice[f]! : 0);
  let sum = 0;
  for (let f = from; f < from + window; f++) sum += at(f);
  let best = from;
  let bestSum = sum;
  for (let c = from + 1; c <= to; c++) {
    sum += at(c + window - 1) - at(c - 1);
    if (sum <= bestSum + 1e-9) {
      best = c;
      bestSum = sum;
    }
  }
  return best;
}
