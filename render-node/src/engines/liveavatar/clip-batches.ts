import { LIVEAVATAR } from './cli-flags.js';

/** A part of a long lesson, rendered by one run of the model. */
export interface ClipBatch {
  readonly index: number;
  readonly startSec: number;
  readonly endSec: number;
  readonly clips: number;
}

const FRAME = 1 / LIVEAVATAR.fps;
const CLIP_FRAMES = Math.round(LIVEAVATAR.clipSeconds * LIVEAVATAR.fps); // 48
/** A segment whose length leaves more than 45 frames of its last clip comes out up to 3 frames short. */
const SHORT_TAIL_FRAMES = 45;

/**
 * Splits a lesson into batches of at most `maxClips` clips, cut on frame boundaries and at lengths the
 * model renders in full. The model keeps every frame in host memory until a run ends, so long lessons
 * are rendered batch by batch and joined; a restarted job resumes after the last finished batch.
 */
export function planClipBatches(audioSec: number, maxClips = 100): ClipBatch[] {
  const totalFrames = Math.round(audioSec * LIVEAVATAR.fps);
  const batchFrames = (maxClips - 1) * CLIP_FRAMES; // whole clips: 99 × 1.92 s = 190.08 s
  const cuts = [0];
  while (totalFrames - cuts.at(-1)! > batchFrames) cuts.push(cuts.at(-1)! + batchFrames);
  // If the last part would end 46–47 frames into a clip, move its start back 3 frames: the part before
  // ends 45 frames into a clip (fine), and the last part wraps to 1–2 frames into a new clip.
  if (cuts.length > 1 && (totalFrames - cuts.at(-1)!) % CLIP_FRAMES > SHORT_TAIL_FRAMES)
    cuts[cuts.length - 1]! -= 3;
  return cuts.map((start, index) => {
    const end = index + 1 < cuts.length ? cuts[index + 1]! : totalFrames;
    const seconds = (end - start) * FRAME;
    return {
      index,
      startSec: round(start * FRAME),
      endSec: index + 1 < cuts.length ? round(end * FRAME) : audioSec,
      clips: Math.floor(seconds / LIVEAVATAR.clipSeconds + 1e-9) + 1,
    };
  });
}

const round = (v: number): number => Math.round(v * 1000) / 1000;
