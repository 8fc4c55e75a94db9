import { LIVEAVATAR, type LaunchMode } from './cli-flags.js';

/** What decides quality and memory in a run. */
export interface QualitySettings {
  readonly size: string;
  readonly sampleSteps: number;
  readonly onlineDecode: boolean;
}

export interface Rung {
  readonly settings: QualitySettings;
  /** What changed, in words, for the render history. */
  readonly step: string;
}

/**
 * The next thing to try after CUDA ran out of memory: online decode, then three sampling steps (about
 * 25 % faster, slightly softer), then each smaller size. Online decode and fewer steps exist only on a
 * single GPU (TPP always decodes online and needs exactly four steps). Undefined: nothing left to try.
 */
export function nextRung(s: QualitySettings, mode: LaunchMode): Rung | undefined {
  if (mode === 'single' && !s.onlineDecode)
    return { settings: { ...s, onlineDecode: true }, step: 'enabled online decode' };
  if (mode === 'single' && s.sampleSteps > LIVEAVATAR.sampleSteps.fastest) {
    const sampleSteps = LIVEAVATAR.sampleSteps.fastest;
    return { settings: { ...s, sampleSteps }, step: `lowered sample steps to ${sampleSteps}` };
  }
  const sizes: readonly string[] = LIVEAVATAR.sizes;
  const i = sizes.indexOf(s.size);
  const smaller = i >= 0 ? sizes[i + 1] : undefined;
  return smaller ? { settings: { ...s, size: smaller }, step: `dropped the size to ${smaller}` } : undefined;
}
