import type { RenderNodeConfig } from '../../config.js';
import { liveAvatarAvailability, type Availability } from './availability.js';
import { detectGpus, p2pUnreliable, parseTopology, readTopology, type GpuInventory } from './gpu-detect.js';
import type { LiveAvatarInstall } from './launch-command.js';
import type { LaunchPlan } from './launch-plan.js';

/** Everything the engine needs to know about this machine to launch the model. */
export interface LiveAvatarRig {
  readonly plan: LaunchPlan;
  readonly install: LiveAvatarInstall;
  /** False where nvidia-smi's topology shows links on which NCCL P2P is known to fail. */
  readonly p2pWorks: boolean;
}

export interface LiveAvatarProbe {
  readonly inventory: GpuInventory;
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
  const inventory = await detectGpus(config.VT_NVIDIA_SMI);
  const install = installOf(config);
  const availability = liveAvatarAvailability(inventory, install);
  if (!availability.available || !availability.plan?.ok) return { inventory, availability };
  const plan = availability.plan.plan;
  const topology = await readTopology(config.VT_NVIDIA_SMI);
  return {
    inventory,
    availability,
    rig: { plan, install, p2pWorks: !p2pUnreliable(parseTopology(topology), plan.gpus) },
  };
}
