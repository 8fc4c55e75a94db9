import { existsSync } from 'node:fs';
import { readdir, stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RenderNodeConfig } from '../../config.js';
import { ffmpegVersion } from '../../media/ffmpeg.js';
import { CHECKPOINT_FILES } from './availability.js';
import { LIVEAVATAR } from './cli-flags.js';
import { detectGpus } from './gpu-detect.js';
import { choosePlan, supportsFp8 } from './launch-plan.js';
import { gpuNameOf } from './liveavatar-rig.js';
import { readTimings, UNMEASURED } from './model-timings.js';
import { canCompileFp8, probeNode, versionOf, type NodeProbe } from './node-probe.js';

/** One line of `vt doctor`: what was found, or what to do about it. */
export interface NodeCheck {
  readonly status: 'ok' | 'warn' | 'fail';
  readonly what: string;
  readonly detail: string;
}

/** Work folders of a lesson take about 1 GB per 10 minutes; room for a few at once. */
const WORK_DISK_GIB = 20;
/** What Live Avatar imports beyond torch, and how to get it (the repository's README). */
const MODULE_FIXES: Readonly<Record<string, string>> = {
  flash_attn:
    'pip install flash-attn==2.8.3 (mandatory: attention calls it directly; FlashAttention-3 on Hopper)',
  transformers: 'pip install -r requirements.txt in the Live Avatar checkout',
  diffusers: 'pip install -r requirements.txt in the Live Avatar checkout',
  peft: 'pip install -r requirements.txt in the Live Avatar checkout',
  librosa: 'pip install -r requirements.txt in the Live Avatar checkout (it loads the audio)',
  tqdm: 'pip install -r requirements.txt in the Live Avatar checkout',
};

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** Bytes under a path: a file's size, or everything in a folder. */
async function sizeOf(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const e of await readdir(path)) total += await sizeOf(join(path, e));
  return total;
}

/**
 * Everything a Live Avatar node needs, checked on this machine: the GPUs and a plan, the model's
 * Python with torch, flash-attn, its other imports and (for FP8) Triton and a C compiler, ffmpeg, the
 * repository and every weight file, disk for work folders, and whether `vt smoke` has measured it.
 */
export async function checkNode(config: RenderNodeConfig): Promise<NodeCheck[]> {
  const checks: NodeCheck[] = [];
  const add = (status: NodeCheck['status'], what: string, detail: string): void => {
    checks.push({ status, what, detail });
  };

  const inventory = await detectGpus(config.VT_NVIDIA_SMI);
  if (inventory.gpus.length === 0)
    add('fail', 'GPUs', `${config.VT_NVIDIA_SMI} found none: install the NVIDIA driver (CUDA 12.8 or newer)`);
  else
    add(
      'ok',
      'GPUs',
      inventory.gpus.map((g) => `[${g.index}] ${g.name} ${gib(g.memoryTotalMiB * 2 ** 20)}`).join(', ') +
        (inventory.driverVersion ? `; driver ${inventory.driverVersion}` : ''),
    );

  let python: NodeProbe | undefined;
  try {
    python = await probeNode(config.VT_LIVEAVATAR_PYTHON);
    add('ok', 'Python', `${python.python} at ${python.executable}`);
  } catch (e) {
    add(
      'fail',
      'Python',
      `${config.VT_LIVEAVATAR_PYTHON} could not run the probe (${(e as Error).message.split('\n')[0]}): ` +
        'set VT_LIVEAVATAR_PYTHON to the Python that runs Live Avatar',
    );
  }
  if (python) {
    const t = python.torch;
    if ('missing' in t) add('fail', 'torch', `${t.missing}: pip install torch==2.8.0 (CUDA 12.8 build)`);
    else if (!t.cudaAvailable)
      add(
        'fail',
        'torch',
        `${t.version} sees no CUDA GPU${t.cudaError ? ` (${t.cudaError})` : ''}: a CUDA build is needed`,
      );
    else add('ok', 'torch', `${t.version}, CUDA ${t.cuda ?? '?'}, ${t.devices.length} GPU(s)`);
    for (const [module, fix] of Object.entries(MODULE_FIXES)) {
      const v = versionOf(python, module);
      add(v ? 'ok' : 'fail', module, v ?? fix);
    }
  }

  const fp8Gpus = inventory.gpus.length > 0 && inventory.gpus.every(supportsFp8);
  const fp8 = !!python && canCompileFp8(python);
  if (fp8Gpus && python)
    add(
      fp8 ? 'ok' : 'warn',
      'FP8 compile',
      fp8
        ? `Triton ${versionOf(python, 'triton')}, ${python.compiler?.version ?? python.compiler?.path}`
        : '--fp8 runs torch.compile: install gcc (apt-get install gcc) and Triton, or the node renders in bf16 (more memory)',
    );
  const plan = choosePlan(inventory, { size: LIVEAVATAR.sizes[1], clips: 32, fp8Toolchain: fp8 });
  add(plan.ok ? 'ok' : 'fail', 'plan', plan.ok ? plan.plan.summary : plan.reason);

  try {
    add('ok', 'ffmpeg', await ffmpegVersion());
  } catch {
    add(
      'fail',
      'ffmpeg',
      'not found: apt-get install ffmpeg (the model muxes with it; the node joins parts)',
    );
  }

  const entry = join(config.VT_LIVEAVATAR_REPO, LIVEAVATAR.entry);
  add(
    existsSync(entry) ? 'ok' : 'fail',
    'repository',
    existsSync(entry)
      ? config.VT_LIVEAVATAR_REPO
      : `no ${LIVEAVATAR.entry} in ${config.VT_LIVEAVATAR_REPO}: git clone Alibaba-Quark/LiveAvatar there, or set VT_LIVEAVATAR_REPO`,
  );
  for (const file of [
    ...CHECKPOINT_FILES.map((f) => join(config.VT_LIVEAVATAR_CKPT, f)),
    config.VT_LIVEAVATAR_LORA,
  ]) {
    const size = await sizeOf(file).catch(() => undefined);
    if (size === undefined)
      add('fail', file, 'missing: stage the weights ahead (render-node/docs/gpu-node.md)');
    else if (size === 0) add('fail', file, 'empty: an interrupted download? fetch it again');
    else add('ok', file, gib(size));
  }

  const work = tmpdir();
  const fs = await statfs(work);
  const free = fs.bavail * fs.bsize;
  add(
    free >= WORK_DISK_GIB * 2 ** 30 ? 'ok' : 'warn',
    'disk for work folders',
    `${gib(free)} free in ${work}${free >= WORK_DISK_GIB * 2 ** 30 ? '' : ` (want ${WORK_DISK_GIB} GiB: set TMPDIR to a larger disk)`}`,
  );

  const gpu = plan.ok ? gpuNameOf(inventory, plan.plan) : (inventory.gpus[0]?.name ?? 'unknown');
  const timings = await readTimings(config.VT_LIVEAVATAR_TIMINGS, gpu);
  add(
    timings === UNMEASURED ? 'warn' : 'ok',
    'stage timings',
    timings === UNMEASURED
      ? `not measured on ${gpu}: run vt smoke --engine liveavatar (until then the hang timer waits generously)`
      : `measured ${timings.measuredAt}: load ${timings.loadSec.toFixed(0)} s, compile ${timings.compileSec.toFixed(0)} s, ` +
          `decode ${timings.decodeSecPerClip.toFixed(1)} s a clip`,
  );
  return checks;
}
