import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIVEAVATAR } from '../../render-node/src/engines/liveavatar/cli-flags.js';
import {
  parseQueryCsv,
  type Gpu,
  type GpuInventory,
} from '../../render-node/src/engines/liveavatar/gpu-detect.js';
import { buildLaunch } from '../../render-node/src/engines/liveavatar/launch-command.js';
import { choosePlan, type LaunchPlan } from '../../render-node/src/engines/liveavatar/launch-plan.js';
import {
  ACTIVATION_MARGIN_GIB,
  estimateMemory,
  SEED_FSDP,
} from '../../render-node/src/engines/liveavatar/memory-model.js';
import { SHARED } from '../helpers/paths.js';

const h100: GpuInventory = {
  source: 'csv',
  ...parseQueryCsv(readFileSync(join(SHARED, 'fixtures/gpu/nvidia-smi-query-h100.csv'), 'utf8')),
};
const cards = (n: number, name: string, mib: number, cc: string): GpuInventory => ({
  source: 'csv',
  gpus: Array.from({ length: n }, (_, i): Gpu => ({
    index: i,
    name,
    uuid: `GPU-${i}`,
    memoryTotalMiB: mib,
    memoryFreeMiB: mib - 500,
    computeCapability: cc,
  })),
});
const lesson = { size: '704*384', clips: 32, fp8Toolchain: true };
const frame = (size: string) => {
  const [width, height] = size.split('*').map(Number) as [number, number];
  return { width, height };
};

describe('memory model', () => {
  it('matches the seed’s FSDP figures: 25.65 GB needed against 22.15 GB usable on a 24 GB card', () => {
    expect(SEED_FSDP.shardedGiB + SEED_FSDP.unshardGiB).toBeCloseTo(25.65, 2);
    expect(SEED_FSDP.shardedGiB + SEED_FSDP.unshardGiB).toBeGreaterThan(SEED_FSDP.usableOn24GiB);
  });

  it('puts a single-GPU FP8 run at 704*384 near the ~60 GB the maintainers quote, bf16 higher', () => {
    const fp8 = estimateMemory({
      mode: 'single',
      frame: frame('704*384'),
      clips: 32,
      fp8: true,
    });
    const bf16 = estimateMemory({
      mode: 'single',
      frame: frame('704*384'),
      clips: 32,
      fp8: false,
    });
    expect(fp8.perGpuGiB[0]).toBeGreaterThan(55);
    expect(fp8.perGpuGiB[0]).toBeLessThan(66);
    expect(fp8.parts.kvCaches).toBeCloseTo((4 * 12672 * 819200) / 2 ** 30, 3); // four step caches
    expect(bf16.perGpuGiB[0]! - fp8.perGpuGiB[0]!).toBeCloseTo(((32.6 - 17) * 1e9) / 2 ** 30, 3);
  });

  it('grows with the frame; the clip count costs host memory, not GPU memory (latents wait on the CPU)', () => {
    const at = (size: string, clips: number): number =>
      estimateMemory({ mode: 'single', frame: frame(size), clips, fp8: true }).perGpuGiB[0]!;
    expect(at('384*256', 10)).toBeLessThan(at('688*368', 10));
    expect(at('688*368', 10)).toBeLessThan(at('720*400', 10));
    expect(at('704*384', 1000)).toBeCloseTo(at('704*384', 10), 6);
    expect(
      estimateMemory({ mode: 'single', frame: frame('704*384'), clips: 100, fp8: true }).hostGiB,
    ).toBeGreaterThan(
      estimateMemory({ mode: 'single', frame: frame('704*384'), clips: 10, fp8: true }).hostGiB,
    );
  });

  it('frees GPU memory only with the real levers: KV caches to the CPU (single), T5 to the CPU (TPP)', () => {
    const single = (offloadKvCache: boolean): number =>
      estimateMemory({ mode: 'single', frame: frame('704*384'), clips: 32, fp8: true, offloadKvCache })
        .perGpuGiB[0]!;
    expect(single(false) - single(true)).toBeCloseTo((3 * 12672 * 819200) / 2 ** 30, 3);
    const tpp = (t5Cpu: boolean): number =>
      estimateMemory({ mode: 'tpp', frame: frame('720*400'), clips: 32, fp8: true, t5Cpu }).perGpuGiB[0]!;
    expect(tpp(false) - tpp(true)).toBeCloseTo((11.4 * 1e9) / 2 ** 30, 3);
  });

  it('gives TPP five ranks, the DiT ranks near the ~42 GB (FP8) / ~57 GB (bf16) the code implies', () => {
    const fp8 = estimateMemory({ mode: 'tpp', frame: frame('720*400'), clips: 32, fp8: true });
    const bf16 = estimateMemory({ mode: 'tpp', frame: frame('720*400'), clips: 32, fp8: false });
    expect(fp8.perGpuGiB).toHaveLength(5);
    // The documented figures leave out activations; so does this comparison.
    const gb = (e: typeof fp8): number => ((e.perGpuGiB[0]! - ACTIVATION_MARGIN_GIB) * 2 ** 30) / 1e9;
    expect(gb(fp8)).toBeGreaterThan(39);
    expect(gb(fp8)).toBeLessThan(45);
    expect(gb(bf16)).toBeGreaterThan(54);
    expect(gb(bf16)).toBeLessThan(60);
  });
});

describe('launch plan', () => {
  it('1 × H100 (the real fixture): single GPU, FP8', () => {
    const r = choosePlan(h100, lesson);
    if (!r.ok) throw new Error(r.reason);
    expect(r.plan).toMatchObject({ mode: 'single', gpus: [0], fp8: true });
    expect(r.plan.usableGiB).toBeGreaterThan(Math.max(...r.plan.estimate.perGpuGiB));
    expect(r.plan.summary).toMatch(
      /^single GPU \(offline\) on 1 × NVIDIA H100 80GB HBM3, FP8: needs ≈ [\d.]+ GiB of [\d.]+ GiB usable/,
    );
  });

  it('5 × 80 GB: real-time TPP on all five', () => {
    const r = choosePlan(cards(5, 'NVIDIA H800', 81559, '9.0'), { ...lesson, size: '720*400' });
    expect(r.ok && r.plan).toMatchObject({ mode: 'tpp', gpus: [0, 1, 2, 3, 4], fp8: true });
  });

  it('8 × 80 GB: TPP on the five with the most free memory', () => {
    const inv = cards(8, 'NVIDIA H100 80GB HBM3', 81559, '9.0');
    const busy = { ...inv, gpus: inv.gpus.map((g) => (g.index < 3 ? { ...g, memoryFreeMiB: 30000 } : g)) };
    const r = choosePlan(busy, lesson);
    expect(r.ok && [...r.plan.gpus].sort()).toEqual([3, 4, 5, 6, 7]);
  });

  it('4 × 24 GB: refused (no such mode in the model’s repository), naming the FSDP arithmetic', () => {
    const r = choosePlan(cards(4, 'NVIDIA GeForce RTX 4090', 24564, '8.9'), lesson);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toContain('found 4 × NVIDIA GeForce RTX 4090 (24 GiB)');
    expect(r.reason).toContain(
      '21.48 GB of weights + 4.17 GB to unshard = 25.65 GB per GPU, against about 22.15 GB usable',
    );
    expect(r.reason).toMatch(/one GPU with ≈ \d+ GiB usable/);
  });

  it('2 × 24 GB: refused', () => {
    const r = choosePlan(cards(2, 'NVIDIA GeForce RTX 4090', 24564, '8.9'), lesson);
    expect(r.ok).toBe(false);
  });

  it('no GPU: refused with a clear message', () => {
    const r = choosePlan({ source: 'none', gpus: [] }, lesson);
    expect(!r.ok && r.reason).toMatch(/^Live Avatar cannot run here: found no NVIDIA GPU/);
  });

  it('A100 80 GB (no FP8): bf16, and only where it fits', () => {
    const a100 = cards(1, 'NVIDIA A100-SXM4-80GB', 81920, '8.0');
    const small = choosePlan(a100, { ...lesson, size: '384*256' });
    expect(small.ok && small.plan).toMatchObject({ mode: 'single', fp8: false });
    expect(choosePlan(a100, { ...lesson, size: '720*400' }).ok).toBe(false);
  });
});

describe('launch command', () => {
  const install = {
    repoDir: '/opt/LiveAvatar',
    ckptDir: '/models/Wan2.2-S2V-14B',
    loraFile: '/models/liveavatar.safetensors',
  };
  const run = {
    prompt: 'A trainer; "quoted" $(not a shell)',
    imagePath: '/jobs/1/portrait.jpg',
    audioPath: '/jobs/1/voice.wav',
    size: '704*384',
    numClip: 32,
    seed: 420,
    offloadKvCache: true,
    saveFile: '/jobs/1/part-0.mp4',
  };
  const plan = (mode: 'single' | 'tpp', gpus: number[], fp8 = true): LaunchPlan => ({
    mode,
    gpus,
    fp8,
    usableGiB: 73,
    summary: '',
    estimate: { perGpuGiB: [], hostGiB: 0, parts: {} },
  });
  const value = (args: readonly string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

  it('single GPU: torchrun with one process, offload, FP8, KV caches on the CPU, args kept whole', () => {
    const l = buildLaunch(plan('single', [2]), run, install, { masterPort: 29555, p2pWorks: true });
    expect(l.file).toBe('torchrun');
    expect(l.cwd).toBe('/opt/LiveAvatar');
    expect(l.args.slice(0, 3)).toEqual(['--nproc_per_node=1', '--master_port=29555', LIVEAVATAR.entry]);
    expect(l.args).toContain(`--prompt=${run.prompt}`);
    expect(value(l.args, '--task')).toBe('s2v-14B');
    expect(value(l.args, '--offload_model')).toBe('True');
    expect(value(l.args, '--sample_steps')).toBe('4');
    expect(value(l.args, '--lora_path_dmd')).toBe('/models/liveavatar.safetensors');
    expect(value(l.args, '--training_config')).toBe(LIVEAVATAR.trainingConfig);
    expect(l.args).toEqual(
      expect.arrayContaining(['--fp8', '--offload_kv_cache', '--single_gpu', '--load_lora']),
    );
    expect(l.env).toMatchObject({
      CUDA_VISIBLE_DEVICES: '2',
      ENABLE_COMPILE: 'false',
      HF_HUB_OFFLINE: '1',
      PYTHONUNBUFFERED: '1',
    });
    expect(l.env).not.toHaveProperty('TORCH_NCCL_HEARTBEAT_TIMEOUT_SEC');
  });

  it('TPP: five processes, VAE parallel, four steps, no KV-cache offload (TPP ignores it), NCCL heartbeat, P2P off where it fails', () => {
    const l = buildLaunch(plan('tpp', [0, 1, 2, 3, 4], false), run, install, {
      masterPort: 29600,
      p2pWorks: false,
    });
    expect(l.args[0]).toBe('--nproc_per_node=5');
    expect(value(l.args, '--num_gpus_dit')).toBe('4');
    expect(value(l.args, '--offload_model')).toBe('False');
    expect(value(l.args, '--sample_steps')).toBe('4');
    expect(l.args).toContain('--enable_vae_parallel');
    expect(l.args).not.toContain('--offload_kv_cache');
    expect(l.args).not.toContain('--fp8');
    expect(l.env).toMatchObject({
      CUDA_VISIBLE_DEVICES: '0,1,2,3,4',
      TORCH_NCCL_HEARTBEAT_TIMEOUT_SEC: '86400',
      NCCL_P2P_DISABLE: '1',
    });
    expect(
      buildLaunch(plan('tpp', [0, 1, 2, 3, 4]), run, install, { masterPort: 1, p2pWorks: true }).env,
    ).not.toHaveProperty('NCCL_P2P_DISABLE');
  });

  it('refuses what the model cannot take', () => {
    const p = plan('single', [0]);
    const o = { masterPort: 1, p2pWorks: true };
    expect(() => buildLaunch(p, { ...run, size: '1280*720' }, install, o)).toThrow(/renders 720\*400/);
    expect(() => buildLaunch(p, { ...run, audioPath: '/a+b.wav' }, install, o)).toThrow(/two speakers/);
    expect(() => buildLaunch(p, { ...run, saveFile: 'out.mp4' }, install, o)).toThrow(/absolute \.mp4/);
  });
});
