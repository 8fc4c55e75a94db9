import type { RenderNodeConfig } from '../../config.js';
import { liveAvatarAvailability, type Availability } from './availability.js';
import { detectGpus, p2pUnreliable, parseTopology, readTopology, type GpuInventory } from './gpu-detect.js';
import type { LiveAvatarInstall } from './launch-command.js';
import type { LaunchPlan } from './launch-plan.js';
import { readTimings, type ModelTimings } from './model-timings.js';
import { canCompileFp8, probeNode, type NodeProbe } from './node-probe.js';

/** Everything the engine needs to know about this machine to launch the model. */
export interface LiveAvatarRig {
  readonly plan: LaunchPlan;
  readonly install: LiveAvatarInstall;
  /** False where nvidia-smi's topology shows links on which NCCL P2P is known to fail. */
  readonly p2pWorks: boolean;
  /** Measured by `vt smoke` on this GPU, or the unmeasured defaults. */
  readonly timings: ModelTimings;
}

export interface LiveAvatarProbe {
  readonly inventory: GpuInventory;
  /** What the node's Python has, or why it could not be asked. */
  readonly python: NodeProbe | { readonly error: string };
  readonly availability: Availability;
  /** Present only when the engine can run here. */
  readonly rig?: LiveAvatarRig;
}

export const installOf = (config: RenderNodeConfig): LiveAvatarInstall => ({
  repoDir: config.VT_LIVEAVATAR_REPO,
  ckptDir: config.VT_LIVEAVATAR_CKPT,
  loraFile: config.VT_LIVEAVATAR_LORA,
  torchrun: config.VT_LIVEAVATAR_TORCHRUN,
});

/**
 * Looks at this machine once (GPUs, topology, the model's files) and says whether and how it runs
 * Live Avatar. The `vt` command and the render node both start here.
 */
export async function probeLiveAvatar(config: RenderNodeConfig): Promise<LiveAvatarProbe> {
  const [inventory, python] = await Promise.all([
    detectGpus(config.VT_NVIDIA_SMI),
    probeNode(config.VT_LIVEAVATAR_PYTHON).catch((e: unknown) => ({
      error: `${config.VT_LIVEAVATAR_PYTHON} could not be asked: ${e instanceof Error ? e.message : String(e)}`,
    })),
  ]);
  const install = installOf(config);
  const fp8 = !('error' in python) && canCompileFp8(python);
  const availability = liveAvatarAvailability(inventory, install, fp8);
  if (!availability.available || !availability.plan?.ok) return { inventory, python, availability };
  const plan = availability.plan.plan;
  const [topology, timings] = await Promise.all([
    readTopology(config.VT_NVIDIA_SMI),
    readTimings(config.VT_LIVEAVATAR_TIMINGS, gpuNameOf(inventory, plan)),
  ]);
  return {
    inventory,
    python,
    availability,
    rig: { plan, install, p2pWorks: !p2pUnreliable(parseTopology(topology), plan.gpus), timings },
  };
}

/** The GPU a plan runs on, by name: timings measured on another model of GPU do not apply. */
export const gpuNameOf = (inventory: GpuInventory, plan: LaunchPlan): string =>
  inventory.gpus.find((g) => g.index === plan.gpus[0])?.name ?? 'unknown';
