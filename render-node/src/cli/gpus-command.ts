import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { batchClipLimit } from '../engines/liveavatar/batch-length.js';
import { planClipBatches } from '../engines/liveavatar/clip-batches.js';
import { modelClips } from '../engines/liveavatar/clip-count.js';
import {
  detectGpus,
  inventoryFrom,
  p2pUnreliable,
  parseTopology,
  readTopology,
  type GpuInventory,
} from '../engines/liveavatar/gpu-detect.js';
import { choosePlan, plannedFrame } from '../engines/liveavatar/launch-plan.js';
import { estimateMemory } from '../engines/liveavatar/memory-model.js';
import { UNMEASURED } from '../engines/liveavatar/model-timings.js';

export interface GpusOptions {
  /** A folder with saved `query.csv`, `q.xml` and `topo.txt` from another machine. */
  readonly from?: string;
  readonly size: string;
  readonly seconds: number;
  /** Whether the node has gcc and Triton for FP8 (`vt doctor` checks; false plans bf16). */
  readonly fp8Toolchain: boolean;
  /** The node's RAM, GiB (batches are as long as it holds); this machine's when not given. */
  readonly hostGiB?: number;
  /** nvidia-smi to run when not reading saved output. */
  readonly nvidiaSmi?: string;
}

/** Prints what nvidia-smi reports and the Live Avatar plan for a lesson; returns whether one exists. */
export async function printGpuPlan(o: GpusOptions, log: (line: string) => void): Promise<boolean> {
  let inventory: GpuInventory;
  let topology: string;
  if (o.from) {
    const read = (name: string): Promise<string | undefined> =>
      readFile(join(o.from!, name), 'utf8').catch(() => undefined);
    const [csv, xml, topo] = await Promise.all([read('query.csv'), read('q.xml'), read('topo.txt')]);
    inventory = inventoryFrom(csv, xml);
    topology = topo ?? '';
  } else {
    [inventory, topology] = await Promise.all([detectGpus(o.nvidiaSmi), readTopology(o.nvidiaSmi)]);
  }
  log(
    `GPUs (${inventory.source}): ${inventory.gpus.length}` +
      (inventory.driverVersion ? ` · driver ${inventory.driverVersion}` : '') +
      (inventory.cudaVersion ? ` · CUDA ${inventory.cudaVersion}` : ''),
  );
  for (const g of inventory.gpus) {
    log(
      `  [${g.index}] ${g.name} · ${(g.memoryTotalMiB / 1024).toFixed(1)} GiB total, ` +
        `${(g.memoryFreeMiB / 1024).toFixed(1)} GiB free` +
        (g.computeCapability ? ` · compute ${g.computeCapability}` : '') +
        (g.architecture ? ` · ${g.architecture}` : ''),
    );
  }
  const clips = modelClips(o.seconds);
  const result = choosePlan(inventory, { size: o.size, clips, fp8Toolchain: o.fp8Toolchain });
  log(`Lesson: ${o.seconds} s at ${o.size} (frame at most ${o.size.replace('*', 'x')}), ${clips} clips`);
  if (!result.ok) {
    log(`Plan: none. ${result.reason}`);
    return false;
  }
  const p = result.plan;
  log(`Plan: ${p.summary}`);
  log(
    `  GPUs ${p.gpus.join(',')} · per-rank GiB ${p.estimate.perGpuGiB.map((v) => v.toFixed(1)).join(' / ')} · host ≈ ${p.estimate.hostGiB.toFixed(1)} GiB`,
  );
  log(
    `  made of: ${Object.entries(p.estimate.parts)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ')}`,
  );
  const frame = plannedFrame({ size: o.size });
  const maxClips = batchClipLimit({ plan: p, frame, timings: UNMEASURED, hostGiB: o.hostGiB });
  const batches = planClipBatches(o.seconds, { maxClips, crossfadeFrames: 8 });
  if (batches.length > 1) {
    const largest = Math.max(...batches.map((b) => b.clips));
    const host = estimateMemory({ mode: p.mode, frame, clips: largest, fp8: p.fp8 }).hostGiB;
    log(
      `  ${batches.length} batches of ≤ ${largest} clips (host memory), joined with cross-fades · ` +
        `host ≈ ${host.toFixed(1)} GiB per batch`,
    );
  }
  if (p.gpus.length > 1) {
    log(
      `  NCCL P2P: ${p2pUnreliable(parseTopology(topology), p.gpus) ? 'disabled (GPUs on different sockets)' : 'on'}`,
    );
  }
  return true;
}
