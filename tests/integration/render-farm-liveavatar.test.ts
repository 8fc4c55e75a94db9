import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { RunningTool } from '../../lti-tool/src/server.js';
import {
  createTestDatabase,
  REDIS_URL,
  SHORT_JOB_LOCK,
  startNode,
  startTestTool,
  stopNode,
  tenantClient,
  toolConfig,
  type ApiClient,
  type TestNode,
} from '../helpers/farm.js';
import { PORTRAIT } from '../helpers/paths.js';
import { makeSpeech, scratchDir, type Speech } from '../helpers/speech.js';
import {
  fakeLiveAvatarInstall,
  LIVEAVATAR_STANDIN,
  nvidiaSmiStandIn,
  pythonProbeStandIn,
} from '../helpers/standins.js';
import { ffprobe } from '../helpers/video.js';

/**
 * The liveavatar engine on the farm: H100 render nodes played by the nvidia-smi and Live Avatar
 * command-line STAND-INS (the 14B model cannot run here), with the real tool, Redis, PostgreSQL, ffmpeg.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let tool: RunningTool;
let prefix: string;
let api: ApiClient;
let speech: Speech;
let portrait: string;
let audio: string;
let gpuEnv: Record<string, string>;
const nodes: TestNode[] = [];
const redis = new Redis(REDIS_URL);

beforeAll(async () => {
  db = await createTestDatabase();
  const config = await toolConfig({ VT_DATABASE_URL: db.url });
  prefix = config.VT_QUEUE_PREFIX;
  tool = await startTestTool(config);
  api = await tenantClient(tool);
  // About 6 s: batches of at most two clips (≈ 3 s a batch with the cross-fade's overlap).
  speech = await makeSpeech([{ say: 'A photoreal lesson, rendered batch by batch on a big GPU node.' }]);
  portrait = (await api.upload('portrait', PORTRAIT)).sha256;
  audio = (await api.upload('audio', speech.path)).sha256;
  const install = fakeLiveAvatarInstall();
  gpuEnv = {
    ...SHORT_JOB_LOCK,
    VT_QUEUE_PREFIX: prefix,
    VT_NVIDIA_SMI: nvidiaSmiStandIn(),
    VT_LIVEAVATAR_REPO: install.repoDir,
    VT_LIVEAVATAR_CKPT: install.ckptDir,
    VT_LIVEAVATAR_LORA: install.loraFile,
    VT_LIVEAVATAR_TORCHRUN: LIVEAVATAR_STANDIN,
    VT_LIVEAVATAR_PYTHON: pythonProbeStandIn(),
    VT_LIVEAVATAR_MAX_CLIPS: '2',
  };
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => stopNode(n)));
  await tool?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await db?.drop();
});

const launches = (file: string): Array<{ args: Record<string, string> }> =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { args: Record<string, string> });

describe('liveavatar on the render farm (nvidia-smi and Live Avatar STAND-INS)', () => {
  it('a node with an H100 and the checkpoints offers liveavatar; its plan is in its log', async () => {
    const node = await startNode('gpu-probe', { ...gpuEnv, VT_QUEUE_PREFIX: `${prefix}-probe` });
    nodes.push(node);
    const key = `${prefix}-probe:vt:render-nodes:gpu-probe`;
    const announced = JSON.parse((await redis.get(key))!) as { engines: string[]; gpus: unknown[] };
    expect(announced.engines).toEqual(['preview', 'liveavatar']);
    expect(announced.gpus).toHaveLength(1);
    expect(node.output()).toMatch(/liveavatar: single GPU \(offline\) on 1 × NVIDIA H100 80GB HBM3, FP8:/);
    await stopNode(node, 'SIGTERM');
    await redis.del(key);

    // Without the checkpoints it says what is missing and offers only preview.
    const bare = await startNode('gpu-bare', {
      ...gpuEnv,
      VT_QUEUE_PREFIX: `${prefix}-probe`,
      VT_LIVEAVATAR_CKPT: join(scratchDir(), 'nothing-here'),
    });
    nodes.push(bare);
    const bareAnnounced = JSON.parse((await redis.get(`${prefix}-probe:vt:render-nodes:gpu-bare`))!) as {
      engines: string[];
    };
    expect(bareAnnounced.engines).toEqual(['preview']);
    expect(bare.output()).toMatch(/liveavatar: Checkpoint files missing in .*nothing-here/);
    await stopNode(bare, 'SIGTERM');
    await redis.del(`${prefix}-probe:vt:render-nodes:gpu-bare`);

    // FP8 compiles (torch.compile, whatever ENABLE_COMPILE says): without Triton the plan is bf16.
    const noTriton = await startNode('gpu-no-triton', {
      ...gpuEnv,
      VT_QUEUE_PREFIX: `${prefix}-probe`,
      VT_LIVEAVATAR_PYTHON: pythonProbeStandIn(false),
    });
    nodes.push(noTriton);
    expect(noTriton.output()).toMatch(
      /liveavatar: single GPU \(offline\) on 1 × NVIDIA H100 80GB HBM3: needs/,
    );
    await stopNode(noTriton, 'SIGTERM');
  });

  it('a node killed mid-lesson: another resumes after the uploaded batches, and the lesson is whole', async () => {
    const callsA = join(scratchDir(), 'calls-a.jsonl');
    const callsB = join(scratchDir(), 'calls-b.jsonl');
    writeFileSync(callsA, '');
    writeFileSync(callsB, '');
    // Node A is slow (a second a clip), so it can be killed between batches.
    const a = await startNode('gpu-a', { ...gpuEnv, STANDIN_CALLS: callsA, STANDIN_CLIP_MS: '1000' });
    nodes.push(a);
    const r = await api.submit({ portrait, audio, engine: 'liveavatar', size: '704*384', title: 'Big GPU' });
    const before = await api.waitFor(r.id, ['active'], 60_000, (v) =>
      v.history.some((e) => /batch 1 of \d+ uploaded/.test(e.message)),
    );
    const batches = Number(
      /batch 1 of (\d+) uploaded/.exec(before.history.map((e) => e.message).join('\n'))![1],
    );
    expect(batches).toBeGreaterThanOrEqual(2);
    await stopNode(a, 'SIGKILL');

    const b = await startNode('gpu-b', { ...gpuEnv, STANDIN_CALLS: callsB });
    nodes.push(b);
    const done = await api.waitFor(r.id, ['done', 'failed'], 120_000);
    expect(done.state).toBe('done');
    expect(done.nodeId).toBe('gpu-b');
    expect(done.history.map((e) => e.message).join('\n')).toMatch(
      /resumed after [1-9]\d* batch(es)? uploaded by an earlier attempt/,
    );
    // Node B never rendered the first batch again; together the nodes rendered every batch.
    const audioOf = (l: { args: Record<string, string> }): string =>
      /batch-(\d+)\.wav$/.exec(l.args.audio!)![1]!;
    const onB = launches(callsB).map(audioOf);
    expect(onB).not.toContain('0');
    expect(new Set([...launches(callsA).map(audioOf), ...onB])).toEqual(
      new Set(Array.from({ length: batches }, (_, i) => String(i))),
    );
    expect(done.notes.join('\n')).toMatch(/delivered at 704\*384 \(512x512\) on single GPU/);

    const file = join(scratchDir(), 'liveavatar-farm.mp4');
    writeFileSync(file, Buffer.from(await (await fetch(done.media!.mp4)).arrayBuffer()));
    const probe = await ffprobe(file);
    expect(Math.abs(Number(probe.format.duration) - speech.durationSec)).toBeLessThanOrEqual(0.1);
    expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    // The square portrait fills the 704*384 area as 512 × 512, as the model renders it.
    expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 512, height: 512 });
    expect((await fetch(done.media!.hls)).status).toBe(200);
    expect((await fetch(done.media!.poster)).headers.get('content-type')).toBe('image/jpeg');
    await stopNode(b, 'SIGTERM');
  });

  it('out of GPU memory: the node steps down the ladder and the render says what quality was delivered', async () => {
    // By the doc's memory model this square portrait at 704*384 needs ≈ 60 GiB with FP8, ≈ 32 GiB with
    // the KV caches on the CPU.
    const c = await startNode('gpu-small', { ...gpuEnv, STANDIN_GPU_GIB: '45' });
    nodes.push(c);
    const r = await api.submit({ portrait, audio, engine: 'liveavatar', size: '704*384', title: 'Tight' });
    const done = await api.waitFor(r.id, ['done', 'failed'], 120_000);
    expect(done.state).toBe('done');
    const notes = done.notes.join('\n');
    expect(notes).toMatch(/delivered at 704\*384, KV caches on the CPU \(512x512\)/);
    expect(notes).toMatch(/GPU out of memory; next: moved the KV caches to the CPU/);
  });
});
