import { LIVEAVATAR, type LaunchMode } from './cli-flags.js';
import { frameName, modelFrame, sameFrame, type Frame } from './frame-size.js';

/** What decides quality and GPU memory in a run. */
export interface QualitySettings {
  readonly size: string;
  /** Single GPU: the four step KV caches live on the CPU (about 40 GB less GPU memory, much slower). */
  readonly offloadKvCache: boolean;
  /** T5 (11.4 GB) stays on the CPU: slower prompt encoding. */
  readonly t5Cpu: boolean;
}

export interface Rung {
  readonly settings: QualitySettings;
  /** What changed, in words, for the render history. */
  readonly step: string;
}

/**
 * The next thing to try after memory ran out, using only levers that free GPU memory in the model's
 * code (shared/docs/liveavatar.md, corrections): the KV caches to the CPU (single GPU; TPP ignores
 * the flag), then T5 to the CPU, then each smaller area that really changes this portrait's frame
 * (the area is a ceiling: two sizes can give the same frame, and a step to it would free nothing).
 * Online decode and fewer steps are not rungs: they free no GPU memory. Undefined: nothing left.
 */
export function nextRung(s: QualitySettings, mode: LaunchMode, portrait: Frame): Rung | undefined {
  if (mode === 'single' && !s.offloadKvCache)
    return { settings: { ...s, offloadKvCache: true }, step: 'moved the KV caches to the CPU' };
  if (!s.t5Cpu) return { settings: { ...s, t5Cpu: true }, step: 'moved T5 to the CPU' };
  const sizes: readonly string[] = LIVEAVATAR.sizes;
  const now = modelFrame(s.size, portrait);
  for (const size of sizes.slice(sizes.indexOf(s.size) + 1)) {
    const frame = modelFrame(size, portrait);
    if (!sameFrame(frame, now) && frame.width * frame.height < now.width * now.height)
      return {
        settings: { ...s, size },
        step: `dropped the size to ${size} (${frameName(frame)} for this portrait)`,
      };
  }
  return undefined;
}
