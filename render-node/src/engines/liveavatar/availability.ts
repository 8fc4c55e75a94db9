import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LIVEAVATAR } from './cli-flags.js';
import type { GpuInventory } from './gpu-detect.js';
import { choosePlan, type PlanResult } from './launch-plan.js';
import type { LiveAvatarInstall } from './launch-command.js';

/** Files the model loads from the Wan2.2-S2V-14B checkpoint folder (shared/docs/liveavatar.md §5). */
export const CHECKPOINT_FILES = [
  'config.json',
  'diffusion_pytorch_model-00001-of-00004.safetensors',
  'diffusion_pytorch_model-00002-of-00004.safetensors',
  'diffusion_pytorch_model-00003-of-00004.safetensors',
  'diffusion_pytorch_model-00004-of-00004.safetensors',
  'diffusion_pytorch_model.safetensors.index.json',
  'models_t5_umt5-xxl-enc-bf16.pth',
  'Wan2.1_VAE.pth',
  'google/umt5-xxl',
  'wav2vec2-large-xlsr-53-english',
] as const;

export interface Availability {
  readonly available: boolean;
  /** Why not, in words, for the node's announcement and logs. */
  readonly reasons: readonly string[];
  readonly plan?: PlanResult;
}

/**
 * A render node offers the `liveavatar` engine only when its GPUs can run the smallest lesson and the
 * checkpoints are all on disk (nothing may be downloaded at run time).
 */
export function liveAvatarAvailability(
  inventory: GpuInventory,
  install: LiveAvatarInstall,
  fp8Toolchain: boolean,
): Availability {
  const reasons: string[] = [];
  const smallest = LIVEAVATAR.sizes.at(-1)!;
  const plan = choosePlan(inventory, { size: smallest, clips: 1, fp8Toolchain });
  if (!plan.ok) reasons.push(plan.reason);
  if (!existsSync(join(install.repoDir, LIVEAVATAR.entry))) {
    reasons.push(`The Live Avatar repository is not at ${install.repoDir} (no ${LIVEAVATAR.entry}).`);
  }
  const missing = CHECKPOINT_FILES.filter((f) => !existsSync(join(install.ckptDir, f)));
  if (missing.length > 0)
    reasons.push(`Checkpoint files missing in ${install.ckptDir}: ${missing.join(', ')}.`);
  if (!existsSync(install.loraFile)) reasons.push(`The LoRA file ${install.loraFile} is missing.`);
  return { available: reasons.length === 0, reasons, plan };
}
