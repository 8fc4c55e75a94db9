import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { ModelStage } from './model-output.js';

/**
 * How long the model's silent stages take on this node's GPU, measured by `vt smoke` and read by the
 * engine's hang timer: a stage that prints nothing may stay silent for three times what was measured.
 */
const timingsSchema = z.object({
  gpu: z.string(),
  measuredAt: z.string(),
  /** Start of the process to its first denoising bar (weights read from disk, LoRA merged). */
  loadSec: z.number().nonnegative(),
  /** The first forward pass with FP8 (torch.compile, Inductor max-autotune): silent. */
  compileSec: z.number().nonnegative(),
  /** Denoising one clip (four bars). */
  denoiseSecPerClip: z.number().positive(),
  /** The single-GPU final decode after the last bar, per clip: silent. */
  decodeSecPerClip: z.number().nonnegative(),
  /** Writing and muxing the video, per clip: silent. */
  saveSecPerClip: z.number().nonnegative(),
});
export type ModelTimings = z.infer<typeof timingsSchema>;

/**
 * Until `vt smoke` has measured this node: generous figures for an 80 GB Hopper card, so that an
 * unmeasured node waits too long on a real hang rather than killing a healthy run.
 */
export const UNMEASURED: ModelTimings = {
  gpu: 'unmeasured',
  measuredAt: '',
  loadSec: 600,
  compileSec: 1200,
  denoiseSecPerClip: 30,
  decodeSecPerClip: 20,
  saveSecPerClip: 2,
};
/** A silent stage may last this many times its measured length before it counts as a hang. */
export const SILENCE_FACTOR = 3;

/** The measured timings for `gpu`, or the unmeasured defaults when none (or another GPU's) are saved. */
export async function readTimings(file: string, gpu: string): Promise<ModelTimings> {
  try {
    const saved = timingsSchema.parse(JSON.parse(await readFile(file, 'utf8')));
    return saved.gpu === gpu ? saved : UNMEASURED;
  } catch {
    return UNMEASURED;
  }
}

export async function saveTimings(file: string, t: ModelTimings): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(timingsSchema.parse(t), null, 2));
}

export interface StageQuery {
  readonly clips: number;
  /** Longest silence between two bars while denoising (and the floor of every other budget). */
  readonly hangSec: number;
  readonly timings: ModelTimings;
}

/** What a stage is expected to take, in seconds, for progress estimates. */
export function stageSeconds(stage: ModelStage, q: StageQuery): number {
  const t = q.timings;
  switch (stage) {
    case 'loading':
      return t.loadSec;
    case 'compiling':
      return t.compileSec;
    case 'denoising':
      return t.denoiseSecPerClip * q.clips;
    case 'decoding':
      return t.decodeSecPerClip * Math.max(0, q.clips - 1);
    case 'saving':
      return t.saveSecPerClip * q.clips;
  }
}

/** How long a stage may print nothing before the run counts as hung. */
export function silenceBudgetSec(stage: ModelStage, q: StageQuery): number {
  if (stage === 'denoising') return q.hangSec;
  return Math.max(q.hangSec, SILENCE_FACTOR * stageSeconds(stage, q) + 60);
}
