import { totalmem } from 'node:os';
import type { Frame } from './frame-size.js';
import type { LaunchPlan } from './launch-plan.js';
import { estimateMemory } from './memory-model.js';
import type { ModelTimings } from './model-timings.js';

/** The single-GPU final decode is silent: a batch may keep it quiet for this long at most. */
export const LONGEST_SILENT_DECODE_SEC = 20 * 60;
/** Share of the host's memory the model may fill; the rest is the system's and the node's. */
const HOST_SHARE = 0.8;
const MOST_CLIPS = 1000;

/**
 * The most clips one run may render. Every join shows a pose reset, so batches are as long as
 * possible: as many clips as the host's memory holds (the model keeps each frame as float32 until it
 * saves) and, on one GPU, as the silent final decode may take before it stays too long without a word.
 */
export function batchClipLimit(q: {
  plan: LaunchPlan;
  frame: Frame;
  timings: ModelTimings;
  hostGiB?: number;
  cap?: number;
}): number {
  const host = (q.hostGiB ?? totalmem() / 2 ** 30) * HOST_SHARE;
  const need = (clips: number): number =>
    estimateMemory({ mode: q.plan.mode, frame: q.frame, clips, fp8: q.plan.fp8 }).hostGiB;
  const perClip = need(2) - need(1);
  const byMemory = Math.floor((host - need(1)) / perClip) + 1;
  const bySilence =
    q.plan.mode === 'single' && q.timings.decodeSecPerClip > 0
      ? Math.floor(LONGEST_SILENT_DECODE_SEC / q.timings.decodeSecPerClip) + 1
      : MOST_CLIPS;
  return Math.max(1, Math.min(byMemory, bySilence, q.cap ?? MOST_CLIPS, MOST_CLIPS));
}
