import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { LIVEAVATAR } from '../../render-node/src/engines/liveavatar/cli-flags.js';
import { parseQueryCsv, type GpuInventory } from '../../render-node/src/engines/liveavatar/gpu-detect.js';
import { choosePlan, type LaunchPlan } from '../../render-node/src/engines/liveavatar/launch-plan.js';
import {
  renderLiveAvatar,
  type LiveAvatarOptions,
} from '../../render-node/src/engines/liveavatar/liveavatar-engine.js';
import type { RenderError } from '../../render-node/src/contract/render-errors.js';
import { PORTRAIT, REPO, SHARED } from '../helpers/paths.js';
import { makeSpeech, scratchDir, type Speech } from '../helpers/speech.js';
import { ffprobe } from '../helpers/video.js';

/** The Live Avatar command-line STAND-IN (tests/stand-ins), in place of torchrun + the 14B model. */
const STANDIN = join(REPO, 'tests/stand-ins/liveavatar-torchrun-standin.mjs');
const h100: GpuInventory = {
  source: 'csv',
  ...parseQueryCsv(readFileSync(join(SHARED, 'fixtures/gpu/nvidia-smi-query-h100.csv'), 'utf8')),
};
const fiveH800: GpuInventory = {
  source: 'csv',
  gpus: Array.from({ length: 5 }, (_, i) => ({
    index: i,
    name: 'NVIDIA H800',
    uuid: `GPU-${i}`,
    memoryTotalMiB: 81559,
    memoryFreeMiB: 81000,
    computeCapability: '9.0',
  })),
};
const planFor = (inv: GpuInventory, size = '704*384'): LaunchPlan => {
  const r = choosePlan(inv, { size, clips: 10, onlineDecode: false });
  if (!r.ok) throw new Error(r.reason);
  return r.plan;
};

let speech: Speech;
beforeAll(async () => {
  speech = await makeSpeech([
    { say: 'This lesson is rendered by the Live Avatar engine, batch by batch, and joined.' },
    { silence: 0.5 },
  ]);
});

function setup(
  env: Record<string, string> = {},
  plan = planFor(h100),
): { o: LiveAvatarOptions; calls: string; restore: () => void } {
  const root = scratchDir();
  const repoDir = join(root, 'LiveAvatar');
  mkdirSync(join(repoDir, dirname(LIVEAVATAR.entry)), { recursive: true });
  writeFileSync(join(repoDir, LIVEAVATAR.entry), '# stand-in checkout\n');
  const workDir = join(root, 'work');
  mkdirSync(workDir);
  const calls = join(root, 'calls.jsonl');
  writeFileSync(calls, '');
  const saved = { ...process.env };
  Object.assign(process.env, { STANDIN_CALLS: calls, ...env });
  return {
    calls,
    restore: () => {
      for (const k of Object.keys(process.env)) if (k.startsWith('STANDIN_')) delete process.env[k];
      Object.assign(process.env, saved);
    },
    o: {
      workDir,
      plan,
      install: {
        repoDir,
        ckptDir: join(root, 'ckpt'),
        loraFile: join(root, 'liveavatar.safetensors'),
        torchrun: STANDIN,
      },
      maxClipsPerBatch: 2,
      // Far above anything a loaded machine makes the stand-in take; the hang case sets its own.
      hangSec: 60,
    },
  };
}
const launches = (
  calls: string,
): Array<{
  torchrun: Record<string, string>;
  args: Record<string, string | boolean>;
  env: Record<string, string>;
}> =>
  readFileSync(calls, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const request = (size = '704*384') => ({
  imagePath: PORTRAIT,
  audioPath: speech.path,
  prompt: 'A trainer in an office',
  size,
});

describe('the liveavatar engine, driving the Live Avatar CLI stand-in', () => {
  it('renders batch by batch, joins them losslessly to the audio’s length, and makes MP4, HLS and poster', async () => {
    const { o, calls, restore } = setup();
    try {
      const progress: number[] = [];
      const r = await renderLiveAvatar(request(), { ...o, onProgress: (p) => progress.push(p.batch) });
      const expected = Math.ceil(speech.durationSec / 1.92); // one 1.92 s clip a batch at most 2 clips
      expect(r.batches).toBeGreaterThanOrEqual(expected - 1);
      expect(launches(calls)).toHaveLength(r.batches);
      const probe = await ffprobe(join(o.workDir, 'lesson.mp4'), true);
      expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
      expect(Math.abs(Number(probe.format.duration) - speech.durationSec)).toBeLessThanOrEqual(1 / 25 + 0.03);
      // Lossless concat: the joined video is exactly the batches laid end to end.
      const partsSec = r.history
        .filter((a) => a.outcome === 'done')
        .map((a) => Number(/\(([\d.]+) s\)/.exec(a.note)![1]));
      const joined = Number((await ffprobe(join(o.workDir, 'joined.mp4'))).format.duration);
      expect(Math.abs(joined - partsSec.reduce((s, v) => s + v, 0))).toBeLessThanOrEqual(0.05);
      expect(readFileSync(join(o.workDir, 'hls/index.m3u8'), 'utf8')).toContain('#EXT-X-ENDLIST');
      expect(execFileSync('file', [join(o.workDir, 'poster.jpg')], { encoding: 'utf8' })).toContain('JPEG');
      expect(r.delivered).toEqual({ size: '704*384', sampleSteps: 4, onlineDecode: false });
      expect(new Set(progress).size).toBe(r.batches);
    } finally {
      restore();
    }
  });

  it('launches torchrun as planned: one process on the H100, FP8, offload, the GPU by CUDA_VISIBLE_DEVICES', async () => {
    const { o, calls, restore } = setup();
    try {
      await renderLiveAvatar(request(), o);
      const [first] = launches(calls);
      expect(first!.torchrun.nproc_per_node).toBe('1');
      expect(first!.args).toMatchObject({
        task: 's2v-14B',
        fp8: true,
        offload_model: 'True',
        single_gpu: true,
        size: '704*384',
        sample_steps: '4',
      });
      expect(first!.env.CUDA_VISIBLE_DEVICES).toBe('0');
    } finally {
      restore();
    }
  });

  it.each([
    ['22', { size: '704*384', sampleSteps: 4, onlineDecode: true }, ['enabled online decode']],
    [
      '17',
      { size: '704*384', sampleSteps: 3, onlineDecode: true },
      ['enabled online decode', 'lowered sample steps to 3'],
    ],
    [
      '14',
      { size: '384*256', sampleSteps: 3, onlineDecode: true },
      [
        'enabled online decode',
        'lowered sample steps to 3',
        'dropped the size to 688*368',
        'dropped the size to 384*256',
      ],
    ],
  ])('steps down the ladder on CUDA out of memory (budget %s units)', async (budget, delivered, steps) => {
    const { o, restore } = setup({ STANDIN_GPU_UNITS: budget });
    try {
      const r = await renderLiveAvatar(request(), o);
      expect(r.delivered).toEqual(delivered);
      const oom = r.history
        .filter((a) => a.outcome === 'oom')
        .map((a) => a.note.replace('CUDA out of memory; next: ', ''));
      expect(oom).toEqual(steps);
      const v = (await ffprobe(join(o.workDir, 'lesson.mp4'))).streams.find((s) => s.codec_type === 'video')!;
      const [w, h] = delivered.size.split('*').map(Number);
      expect([v.width, v.height]).toEqual([w, h]);
    } finally {
      restore();
    }
  });

  it('fails with the whole story when nothing fits', async () => {
    const { o, restore } = setup({ STANDIN_GPU_UNITS: '1' });
    try {
      const err = (await renderLiveAvatar(request(), o).catch((e: unknown) => e)) as RenderError;
      expect(err.code).toBe('GPU_OUT_OF_MEMORY');
      expect(err.permanent).toBe(true);
      expect(err.message).toMatch(/at 704\*384, 4 steps: CUDA out of memory; next: enabled online decode\./);
      expect(err.message).toMatch(
        /at 384\*256, 3 steps, online decode: CUDA out of memory with nothing left to try/,
      );
    } finally {
      restore();
    }
  });

  it('in TPP skips the single-GPU rungs and goes straight to a smaller size; five ranks of progress', async () => {
    const { o, calls, restore } = setup({ STANDIN_GPU_UNITS: '27.5' }, planFor(fiveH800, '720*400'));
    try {
      const seen: number[] = [];
      const r = await renderLiveAvatar(request('720*400'), {
        ...o,
        onProgress: (p) => seen.push(p.clipsDone / p.clipsTotal),
      });
      expect(r.delivered).toEqual({ size: '704*384', sampleSteps: 4, onlineDecode: false });
      const [first] = launches(calls);
      expect(first!.torchrun.nproc_per_node).toBe('5');
      expect(first!.args).toMatchObject({
        num_gpus_dit: '4',
        enable_vae_parallel: true,
        offload_model: 'False',
      });
      expect(first!.env).toMatchObject({
        CUDA_VISIBLE_DEVICES: '0,1,2,3,4',
        TORCH_NCCL_HEARTBEAT_TIMEOUT_SEC: '86400',
      });
      expect(Math.max(...seen)).toBe(1);
    } finally {
      restore();
    }
  });

  it('resumes after the last finished batch when a run dies mid-lesson', async () => {
    const { o, calls, restore } = setup({ STANDIN_DIE_ON_LAUNCH: '3' });
    try {
      const err = (await renderLiveAvatar(request(), o).catch((e: unknown) => e)) as RenderError;
      expect(err.code).toBe('MODEL_FAILED');
      expect(err.permanent).toBe(false);
      expect(err.message).toMatch(/batch 3 of \d+: exit 1: .*NCCL communicator was aborted/);
      const r = await renderLiveAvatar(request(), o);
      expect(r.history.filter((a) => a.outcome === 'resumed').map((a) => a.batch)).toEqual([0, 1]);
      expect(launches(calls)).toHaveLength(2 + 1 + (r.batches - 2)); // nothing rendered twice
      expect(
        Math.abs(Number((await ffprobe(join(o.workDir, 'lesson.mp4'))).format.duration) - speech.durationSec),
      ).toBeLessThanOrEqual(0.07);
    } finally {
      restore();
    }
  });

  it('treats silence as a hang: kills the whole process group and fails so the job can resume', async () => {
    const { o, restore } = setup({ STANDIN_HANG_AT_CLIP: '0', STANDIN_CLIP_MS: '5' });
    try {
      // The stand-in goes silent for good at its first clip: a hang, whatever the machine's speed.
      const err = (await renderLiveAvatar(request(), { ...o, hangSec: 1 }).catch(
        (e: unknown) => e,
      )) as RenderError;
      expect(err.code).toBe('MODEL_HUNG');
      await new Promise((r) => setTimeout(r, 200));
      expect(() => execFileSync('pgrep', ['-f', 'liveavatar-torchrun-standin'])).toThrow(); // none left
    } finally {
      restore();
    }
  });

  it('cancels before the model starts: nothing is launched', async () => {
    const { o, calls, restore } = setup();
    try {
      const controller = new AbortController();
      controller.abort();
      const err = (await renderLiveAvatar(request(), { ...o, signal: controller.signal }).catch(
        (e: unknown) => e,
      )) as RenderError;
      expect(err.code).toBe('CANCELLED');
      expect(launches(calls)).toHaveLength(0);
    } finally {
      restore();
    }
  });

  it('cancels: kills the process group and says so', async () => {
    const { o, restore } = setup({ STANDIN_CLIP_MS: '2000' });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 700);
      const err = (await renderLiveAvatar(request(), { ...o, signal: controller.signal }).catch(
        (e: unknown) => e,
      )) as RenderError;
      expect(err.code).toBe('CANCELLED');
      await new Promise((r) => setTimeout(r, 200));
      expect(() => execFileSync('pgrep', ['-f', 'liveavatar-torchrun-standin'])).toThrow();
    } finally {
      restore();
    }
  });
});
