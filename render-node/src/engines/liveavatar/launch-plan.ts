import { LIVEAVATAR, type LaunchMode } from './cli-flags.js';
import type { Gpu, GpuInventory } from './gpu-detect.js';
import { modelFrame, type Frame } from './frame-size.js';
import { estimateMemory, SEED_FSDP, usableShare, type MemoryEstimate } from './memory-model.js';

export interface PlanRequest {
  readonly size: string;
  readonly clips: number;
  /** The upright portrait, when known: the model's frame follows its aspect ratio (frame-size.ts). */
  readonly portrait?: Frame;
  /**
   * Whether this node can compile FP8: `--fp8` runs torch.compile (Inductor) whatever ENABLE_COMPILE
   * says, which needs a C compiler and Triton (node-probe.ts). False: bf16 even on Ada/Hopper.
   */
  readonly fp8Toolchain: boolean;
}

/** The frame planned for: the portrait's, or without one the whole area (no frame is larger). */
export const plannedFrame = (req: Pick<PlanRequest, 'size' | 'portrait'>): Frame => {
  if (req.portrait) return modelFrame(req.size, req.portrait);
  const [width, height] = req.size.split('*').map(Number) as [number, number];
  return { width, height };
};

export interface LaunchPlan {
  readonly mode: LaunchMode;
  /** nvidia-smi indices, in rank order; become CUDA_VISIBLE_DEVICES. */
  readonly gpus: readonly number[];
  readonly fp8: boolean;
  readonly estimate: MemoryEstimate;
  /** Usable GiB on the tightest chosen GPU. */
  readonly usableGiB: number;
  readonly summary: string;
}

export type PlanResult =
  { readonly ok: true; readonly plan: LaunchPlan } | { readonly ok: false; readonly reason: string };

const FP8_ARCHITECTURES = /ada|hopper|blackwell/i;
const mibToGiB = (mib: number): number => mib / 1024;

/** FP8 linear layers need compute capability 8.9 or newer (Ada, Hopper, Blackwell). */
export function supportsFp8(g: Gpu): boolean {
  if (g.computeCapability) return Number(g.computeCapability) >= 8.9;
  return (
    FP8_ARCHITECTURES.test(g.architecture ?? '') ||
    /\b(H100|H200|H800|L40|L4|RTX 40|RTX 50|B200|GB200)\b/i.test(g.name)
  );
}

/** What a GPU can give a job: its usable share, less what other processes already hold. */
export function usableGiB(g: Gpu): number {
  const used = mibToGiB(g.memoryTotalMiB - g.memoryFreeMiB);
  return mibToGiB(g.memoryTotalMiB) * usableShare - used;
}

/**
 * Chooses how to run Live Avatar on these GPUs, or says why it cannot run. The modes are the model
 * repository's: five GPUs in real-time TPP when five fit, else one GPU offline. FP8 is used when every
 * chosen GPU supports it (it roughly halves the DiT's memory).
 */
export function choosePlan(inventory: GpuInventory, req: PlanRequest): PlanResult {
  const gpus = [...inventory.gpus].sort((a, b) => usableGiB(b) - usableGiB(a));
  const fits = (mode: LaunchMode, chosen: Gpu[]): LaunchPlan | undefined => {
    const fp8 = req.fp8Toolchain && chosen.every(supportsFp8);
    const estimate = estimateMemory({ mode, frame: plannedFrame(req), clips: req.clips, fp8 });
    const ok = chosen.every((g, rank) => usableGiB(g) >= estimate.perGpuGiB[rank]!);
    if (!ok) return undefined;
    const usable = Math.min(...chosen.map(usableGiB));
    return {
      mode,
      gpus: chosen.map((g) => g.index),
      fp8,
      estimate,
      usableGiB: usable,
      summary:
        `${mode === 'tpp' ? '5-GPU TPP (real time)' : 'single GPU (offline)'} on ` +
        `${chosen.length} × ${chosen[0]!.name}${fp8 ? ', FP8' : ''}: needs ≈ ${Math.max(...estimate.perGpuGiB).toFixed(1)} GiB ` +
        `of ${usable.toFixed(1)} GiB usable per GPU`,
    };
  };
  // TPP ranks 0–3 are the heaviest: give them the roomiest GPUs.
  const tpp = gpus.length >= LIVEAVATAR.modes.tpp.processes ? fits('tpp', gpus.slice(0, 5)) : undefined;
  if (tpp) return { ok: true, plan: tpp };
  const single = gpus[0] ? fits('single', [gpus[0]]) : undefined;
  if (single) return { ok: true, plan: single };
  return { ok: false, reason: refusal(gpus, req) };
}

function refusal(gpus: Gpu[], req: PlanRequest): string {
  const need = (mode: LaunchMode, fp8: boolean): number =>
    Math.max(...estimateMemory({ mode, frame: plannedFrame(req), clips: req.clips, fp8 }).perGpuGiB);
  const found = gpus.length === 0 ? 'no NVIDIA GPU (nvidia-smi found none)' : describe(gpus);
  const lines = [
    `Live Avatar cannot run here: found ${found}.`,
    `It needs one GPU with ≈ ${need('single', true).toFixed(0)} GiB usable (FP8, Ada/Hopper) or ` +
      `≈ ${need('single', false).toFixed(0)} GiB (bf16) for ${req.size}, ` +
      `or five GPUs with ≈ ${need('tpp', true).toFixed(0)} GiB each for real-time TPP: in practice 80 GB cards ` +
      `(or 48 GB ones with FP8 for TPP).`,
  ];
  if (gpus.length >= 2 && gpus.every((g) => mibToGiB(g.memoryTotalMiB) < 30)) {
    lines.push(
      `Several 24 GB cards are no substitute: the model's repository has no 4-GPU mode, and sharding the model ` +
        `(FSDP) would need ${SEED_FSDP.shardedGiB} GB of weights + ${SEED_FSDP.unshardGiB} GB to unshard = ` +
        `${(SEED_FSDP.shardedGiB + SEED_FSDP.unshardGiB).toFixed(2)} GB per GPU, against about ` +
        `${SEED_FSDP.usableOn24GiB} GB usable on a 24 GB card.`,
    );
  }
  lines.push('Use the preview engine here, or send the job to a render node with such GPUs.');
  return lines.join(' ');
}

function describe(gpus: Gpu[]): string {
  const groups = new Map<string, number>();
  for (const g of gpus) {
    const key = `${g.name} (${Math.round(mibToGiB(g.memoryTotalMiB))} GiB)`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups].map(([k, n]) => `${n} × ${k}`).join(', ');
}
