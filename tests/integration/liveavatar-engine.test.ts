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
  const r = choosePlan(inv, { size, clips: 10, fp8Toolchain: true });
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
/** The batches the engine planned, read back from the part videos' frame counts in its state. */
const planned = (workDir: string): Array<{ index: number; startFrame: number }> => {
  const state = JSON.parse(readFileSync(join(workDir, 'liveavatar-state.json'), 'utf8')) as {
    history: Array<{ batch: number; outcome: string; note: string }>;
  };
  // "rendered N clips (H frames for F)": F = the part's own frames + the 8-frame overlap (not the last).
  const needs = state.history
    .filter((a) => a.outcome === 'done')
    .sort((a, b) => a.batch - b.batch)
    .map((a) => Number(/for (\d+)\)/.exec(a.note)![1]));
  let start = 0;
  return needs.map((need, index) => {
    const b = { index, startFrame: start };
    start += need - 8;
    return b;
  });
};
const request = (size = '704*384') => ({
  imagePath: PORTRAIT,
  audioPath: speech.path,
  prompt: 'A trainer in an office',
  size,
});

describe('the liveavatar engine, driving the Live Avatar CLI stand-in', () => {
  it('renders batch by batch, cross-fades the joins frame-exact on the voice, and makes MP4, HLS and poster', async () => {
    const { o, calls, restore } = setup();
    try {
      const stages: string[] = [];
      const r = await renderLiveAvatar(request(), {
        ...o,
        onProgress: (p) => stages.at(-1) !== p.stage && stages.push(p.stage),
      });
      expect(r.batches).toBeGreaterThan(1);
      expect(launches(calls)).toHaveLength(r.batches);
      const probe = await ffprobe(join(o.workDir, 'lesson.mp4'), true);
      expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
      expect(Math.abs(Number(probe.format.duration) - speech.durationSec)).toBeLessThanOrEqual(1 / 25 + 0.03);
      // Frame-exact: the joined video has one frame per 1/25 s of voice, whatever each run made.
      const joined = (await ffprobe(join(o.workDir, 'joined.mp4'), true)).streams[0]!;
      expect(Number(joined.nb_read_frames)).toBe(Math.round(speech.durationSec * 25));
      expect(readFileSync(join(o.workDir, 'hls/index.m3u8'), 'utf8')).toContain('#EXT-X-ENDLIST');
      expect(execFileSync('file', [join(o.workDir, 'poster.jpg')], { encoding: 'utf8' })).toContain('JPEG');
      expect(r.delivered).toEqual({ size: '704*384', offloadKvCache: false, t5Cpu: false });
      // The square portrait fills the 704*384 area as 512 × 512, as the model renders it.
      expect(r.frame).toBe('512x512');
      expect([joined.width, joined.height]).toEqual([512, 512]);
      // Each run starts its clip seeds afresh: every batch gets its own base seed.
      expect(launches(calls).map((l) => l.args.base_seed)).toEqual(
        Array.from({ length: r.batches }, (_, i) => String(420 + 1000 * i)),
      );
      expect(stages.slice(0, 2)).toEqual(['loading', 'compiling']); // FP8 on the H100
      expect(stages).toEqual(expect.arrayContaining(['denoising', 'decoding', 'saving']));
    } finally {
      restore();
    }
  });

  it('shows each join where the plan put it: one run before the cut, a dissolve, the next run after', async () => {
    const { o, restore } = setup();
    try {
      await renderLiveAvatar(request(), o);
      const state = JSON.parse(readFileSync(join(o.workDir, 'liveavatar-state.json'), 'utf8')) as {
        done: Array<{ index: number }>;
      };
      expect(state.done.length).toBeGreaterThan(1);
      const joined = join(o.workDir, 'joined.mp4');
      // The stand-in paints each run's seed into the red channel: (seed mod 97) × 2 + 20.
      const red = (frame: number): number =>
        execFileSync('ffmpeg', [
          '-v',
          'error',
          '-i',
          joined,
          '-vf',
          `select=eq(n\\,${frame}),scale=1:1`,
          '-frames:v',
          '1',
          '-f',
          'rawvideo',
          '-pix_fmt',
          'rgb24',
          '-',
        ])[0]!;
      const seedRed = (seed: number): number => (seed % 97) * 2 + 20;
      const batches = planned(o.workDir);
      for (const b of batches.slice(1)) {
        const cut = b.startFrame;
        expect(Math.abs(red(cut - 2) - seedRed(420 + 1000 * (b.index - 1)))).toBeLessThanOrEqual(4);
        expect(Math.abs(red(cut + 9) - seedRed(420 + 1000 * b.index))).toBeLessThanOrEqual(4);
        const mid = red(cut + 4);
        const [lo, hi] = [seedRed(420 + 1000 * (b.index - 1)), seedRed(420 + 1000 * b.index)].sort(
          (x, y) => x - y,
        );
        expect(mid).toBeGreaterThan(lo! + 4);
        expect(mid).toBeLessThan(hi! - 4);
      }
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
      expect(first!.env).toMatchObject({ CUDA_VISIBLE_DEVICES: '0', PYTHONUNBUFFERED: '1' });
    } finally {
      restore();
    }
  });

  it.each([
    [
      '45',
      { size: '704*384', offloadKvCache: true, t5Cpu: false },
      ['moved the KV caches to the CPU'],
      '512x512',
    ],
    [
      '30',
      { size: '688*368', offloadKvCache: true, t5Cpu: true },
      [
        'moved the KV caches to the CPU',
        'moved T5 to the CPU',
        'dropped the size to 688*368 (448x448 for this portrait)',
      ],
      '448x448',
    ],
  ])(
    'steps down the ladder of real levers when the GPU runs out (%s GiB)',
    async (gib, delivered, steps, frame) => {
      const { o, restore } = setup({ STANDIN_GPU_GIB: gib });
      try {
        const r = await renderLiveAvatar(request(), o);
        expect(r.delivered).toEqual(delivered);
        const oom = r.history
          .filter((a) => a.outcome === 'oom')
          .map((a) => a.note.replace('GPU out of memory; next: ', ''));
        expect(oom).toEqual(steps);
        const v = (await ffprobe(join(o.workDir, 'lesson.mp4'))).streams.find(
          (s) => s.codec_type === 'video',
        )!;
        expect(`${v.width}x${v.height}`).toBe(frame);
      } finally {
        restore();
      }
    },
  );

  it.each(['cuda', 'cublas', 'nccl'])('knows the %s form of running out of GPU memory', async (text) => {
    const { o, restore } = setup({ STANDIN_GPU_GIB: '45', STANDIN_OOM_TEXT: text });
    try {
      const r = await renderLiveAvatar(request(), { ...o, maxClipsPerBatch: 100 });
      expect(r.delivered.offloadKvCache).toBe(true);
    } finally {
      restore();
    }
  });

  it('fails with the whole story when nothing fits', async () => {
    const { o, restore } = setup({ STANDIN_GPU_GIB: '20' });
    try {
      const err = (await renderLiveAvatar(request(), o).catch((e: unknown) => e)) as RenderError;
      expect(err.code).toBe('GPU_OUT_OF_MEMORY');
      expect(err.permanent).toBe(true);
      expect(err.message).toMatch(/at 704\*384: GPU out of memory; next: moved the KV caches to the CPU\./);
      expect(err.message).toMatch(
        /at 384\*256, KV caches on the CPU, T5 on the CPU: GPU out of memory with nothing left to try/,
      );
    } finally {
      restore();
    }
  });

  it('tells the host’s OOM killer from a crash', async () => {
    const { o, restore } = setup({ STANDIN_HOST_OOM: '1' });
    try {
      const err = (await renderLiveAvatar(request(), o).catch((e: unknown) => e)) as RenderError;
      expect(err.code).toBe('MODEL_FAILED');
      expect(err.message).toMatch(/ran out of host memory in batch 1/);
    } finally {
      restore();
    }
  });

  it('in TPP moves T5 off the GPU, then skips a size that gives the same frame; five ranks of progress', async () => {
    const { o, calls, restore } = setup({ STANDIN_GPU_GIB: '30' }, planFor(fiveH800, '720*400'));
    try {
      const seen: number[] = [];
      const r = await renderLiveAvatar(request('720*400'), {
        ...o,
        onProgress: (p) => seen.push(p.clipsDone / p.clipsTotal),
      });
      // 704*384 gives this square portrait the same 512 × 512 as 720*400: no step there.
      expect(r.delivered).toEqual({ size: '688*368', offloadKvCache: false, t5Cpu: true });
      expect(r.history.filter((a) => a.outcome === 'oom').map((a) => a.note)).toEqual([
        'GPU out of memory; next: moved T5 to the CPU',
        'GPU out of memory; next: dropped the size to 688*368 (448x448 for this portrait)',
      ]);
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

  it('waits out the silent stages (FP8 compile, final decode) that a plain hang timer would kill', async () => {
    // Silences of 6 s against a 3 s limit between bars: the stages' own budgets allow minutes.
    const { o, restore } = setup({ STANDIN_COMPILE_MS: '6000', STANDIN_DECODE_MS_PER_CLIP: '6000' });
    try {
      const r = await renderLiveAvatar(request(), { ...o, maxClipsPerBatch: 100, hangSec: 3 });
      expect(r.batches).toBe(1);
      expect(r.history.map((a) => a.outcome)).toEqual(['done']);
    } finally {
      restore();
    }
  });

  it('checks the file itself: a failed mux logged with exit code 0 is a failure', async () => {
    const { o, restore } = setup({ STANDIN_SAVE_FAIL: 'mux' });
    try {
      const err = (await renderLiveAvatar(request(), o).catch((e: unknown) => e)) as RenderError;
      expect(err.code).toBe('MODEL_FAILED');
      expect(err.message).toMatch(
        /reported success for batch 1 but its video is missing or wrong .*audio no/,
      );
    } finally {
      restore();
    }
  });

  it('passes a prompt that starts with "-" as the prompt, not as a flag', async () => {
    const { o, calls, restore } = setup();
    try {
      await renderLiveAvatar({ ...request(), prompt: '-smiling trainer' }, { ...o, maxClipsPerBatch: 100 });
      expect(launches(calls)[0]!.args.prompt).toBe('-smiling trainer');
    } finally {
      restore();
    }
  });

  it('gives each run its own torchrun master port, so two jobs on one node do not meet', async () => {
    const one = setup();
    const two = setup();
    try {
      // Both use the STANDIN_CALLS of the second setup (one process environment): two launches there.
      await Promise.all([
        renderLiveAvatar(request(), { ...one.o, maxClipsPerBatch: 100 }),
        renderLiveAvatar(request(), { ...two.o, maxClipsPerBatch: 100 }),
      ]);
      const ports = launches(two.calls).map((l) => l.torchrun.master_port);
      expect(ports).toHaveLength(2);
      expect(ports[0]).not.toBe(ports[1]);
    } finally {
      two.restore();
      one.restore();
    }
  });

  it('resumes after the last finished batch when a run dies mid-lesson', async () => {
    const { o, calls, restore } = setup({ STANDIN_DIE_ON_LAUNCH: '2' });
    try {
      const err = (await renderLiveAvatar(request(), o).catch((e: unknown) => e)) as RenderError;
      expect(err.code).toBe('MODEL_FAILED');
      expect(err.permanent).toBe(false);
      expect(err.message).toMatch(/batch 2 of \d+: exit 1: .*NCCL communicator was aborted/);
      const r = await renderLiveAvatar(request(), o);
      expect(r.history.filter((a) => a.outcome === 'resumed').map((a) => a.batch)).toEqual([0]);
      expect(launches(calls)).toHaveLength(1 + 1 + (r.batches - 1)); // nothing rendered twice
      expect(
        Math.abs(Number((await ffprobe(join(o.workDir, 'lesson.mp4'))).format.duration) - speech.durationSec),
      ).toBeLessThanOrEqual(0.07);
    } finally {
      restore();
    }
  });

  it('treats silence as a hang: kills the whole process group and fails so the job can resume', async () => {
    const { o, restore } = setup({ STANDIN_HANG_AT_CLIP: '1', STANDIN_CLIP_MS: '5' });
    try {
      // The stand-in goes silent for good after its first clip, while denoising: a hang, whatever the
      // machine's speed (a silence before the first bar is the loading stage, which may take minutes).
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
