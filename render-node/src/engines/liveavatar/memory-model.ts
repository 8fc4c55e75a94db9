import type { LaunchMode } from './cli-flags.js';
import type { Frame } from './frame-size.js';

/**
 * GPU and host memory a Live Avatar job needs, in GiB. A pure function of the job, so the planner and
 * the fallback ladder can ask "does this fit?" before spending minutes loading 50 GB of weights.
 *
 * Sizes come from the model's files and the cache shapes in its code (shared/docs/liveavatar.md §5):
 * the DiT is 32.6 GB in bf16 (≈ 17 GB as FP8), T5 11.4 GB, the VAE 0.5 GB; a KV-cache token costs
 * 40 layers × (k + v) × 40 heads × 128 × 2 bytes = 819,200 bytes; a clip is 12 latent frames of
 * (W/16)·(H/16) tokens of the frame really rendered (frame-size.ts); the conditioning cache is 2,800 tokens (single GPU) or 3,000 (TPP).
 */
const GB = 1e9 / 2 ** 30; // decimal GB in GiB
export const WEIGHTS_GIB = {
  ditBf16: 32.6 * GB,
  ditFp8: 17 * GB,
  t5: 11.4 * GB,
  vae: 0.508 * GB,
  lora: 5 * GB,
};
const KV_BYTES_PER_TOKEN = 40 * 2 * 40 * 128 * 2;
const LATENT_FRAMES_PER_CLIP = 12;
const FRAMES_PER_CLIP = 48;
/** Activations, allocator slack and CUDA context: an allowance, not a measurement. */
export const ACTIVATION_MARGIN_GIB = 4;
/** The CLI keeps every decoded frame as float32 and copies them about three more times to save. */
const HOST_FRAME_COPIES = 3.5;

/**
 * The product brief's model for sharding the 14B model over 24 GB cards with FSDP: 21.48 GB of sharded
 * weights plus 4.17 GB to unshard for inference, 25.65 GB, against about 22.15 GB usable on a 24 GB
 * card. The model's repository has no such mode; we keep the numbers to explain the refusal.
 */
export const SEED_FSDP = { shardedGiB: 21.48, unshardGiB: 4.17, usableOn24GiB: 22.15 } as const;
export const usableShare = SEED_FSDP.usableOn24GiB / 24;

export interface MemoryQuery {
  readonly mode: LaunchMode;
  /** The frame the model renders (frame-size.ts), not the `--size` area. */
  readonly frame: Frame;
  readonly clips: number;
  readonly fp8: boolean;
  readonly offloadKvCache?: boolean;
  readonly t5Cpu?: boolean;
}

export interface MemoryEstimate {
  /** Peak per GPU rank (one entry for single, five for TPP). */
  readonly perGpuGiB: readonly number[];
  /** Host memory at the peak (loading weights and holding the decoded frames). */
  readonly hostGiB: number;
  /** What the largest GPU figure is made of, for messages and logs. */
  readonly parts: Readonly<Record<string, number>>;
}

const gib = (bytes: number): number => bytes / 2 ** 30;

export function estimateMemory(q: MemoryQuery): MemoryEstimate {
  const { width: w, height: h } = q.frame;
  const tokensPerClip = LATENT_FRAMES_PER_CLIP * (w / 16) * (h / 16);
  const stepCache = gib(tokensPerClip * KV_BYTES_PER_TOKEN);
  const condCache = gib((q.mode === 'single' ? 2800 : 3000) * KV_BYTES_PER_TOKEN);
  const dit = q.fp8 ? WEIGHTS_GIB.ditFp8 : WEIGHTS_GIB.ditBf16;
  // Latents of one clip (16 channels, 1/8 resolution, bf16). The others wait on the CPU for the final
  // decode, with or without online decode: it frees no GPU memory.
  const latentPerClip = gib(LATENT_FRAMES_PER_CLIP * 16 * (w / 8) * (h / 8) * 2);
  const hostLatents = latentPerClip * q.clips;
  const t5Host = q.t5Cpu ? WEIGHTS_GIB.t5 : 0;
  const frames = q.clips * FRAMES_PER_CLIP;
  const hostFrames = gib(frames * w * h * 3 * 4) * HOST_FRAME_COPIES;

  if (q.mode === 'single') {
    // --offload_model True: T5 visits the GPU only to encode the prompt, before the caches exist.
    const caches = q.offloadKvCache ? stepCache : 4 * stepCache;
    const parts = {
      dit,
      vae: WEIGHTS_GIB.vae,
      kvCaches: caches,
      conditioningCache: condCache,
      latents: latentPerClip,
      margin: ACTIVATION_MARGIN_GIB,
    };
    return {
      perGpuGiB: [sum(parts)],
      hostGiB:
        WEIGHTS_GIB.t5 + WEIGHTS_GIB.lora + (q.offloadKvCache ? 3 * stepCache : 0) + hostLatents + hostFrames,
      parts,
    };
  }
  // TPP: ranks 0–3 each hold the DiT, T5 (not offloaded) and one step's cache; rank 4 decodes.
  const denoiser = {
    dit,
    t5: WEIGHTS_GIB.t5 - t5Host,
    kvCache: stepCache,
    conditioningCache: condCache,
    margin: ACTIVATION_MARGIN_GIB,
  };
  const decoder = {
    dit,
    t5: WEIGHTS_GIB.t5 - t5Host,
    vae: WEIGHTS_GIB.vae,
    latents: latentPerClip * 2,
    margin: ACTIVATION_MARGIN_GIB,
  };
  const rank = sum(denoiser);
  return {
    perGpuGiB: [rank, rank, rank, rank, sum(decoder)],
    // Each of the five ranks loads T5 and the LoRA on the host first; rank 4 also holds the frames.
    hostGiB: 5 * (WEIGHTS_GIB.t5 + WEIGHTS_GIB.lora) + hostFrames,
    parts: rank >= sum(decoder) ? denoiser : decoder,
  };
}

const sum = (parts: Record<string, number>): number => Object.values(parts).reduce((s, v) => s + v, 0);
