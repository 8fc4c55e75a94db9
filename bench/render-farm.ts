/**
 * Render farm benchmark (issue: render farm). Runs the real tool (in this process), real render nodes
 * (child processes), the local Redis and PostgreSQL:
 *   npx tsx bench/render-farm.ts [--renders 200] [--scaling-renders 40]
 * Prints queue-to-start latency p50/p99 for many short renders on two nodes, the scaling from one node
 * to two, and the farm's overhead over a direct local render of the same 60 s lesson.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '../render-node/src/config.js';
import { renderQueueName } from '../render-node/src/contract/render-job.js';
import { renderPreview } from '../render-node/src/engines/preview/preview-engine.js';
import { parseSize } from '../render-node/src/render-size.js';
import {
  createTestDatabase,
  REDIS_URL,
  startNode,
  startTestTool,
  stopNode,
  tenantClient,
  toolConfig,
  type ApiClient,
} from '../tests/helpers/farm.js';
import { PORTRAIT } from '../tests/helpers/paths.js';
import { scratchDir } from '../tests/helpers/speech.js';
import { recordFigures } from './bench-results.js';
import { arg } from './bench-args.js';

const run = promisify(execFile);
const RENDERS = Number(arg('--renders', String(200)));
const SCALING = Number(arg('--scaling-renders', String(40)));
const dir = scratchDir('vt-bench-farm-');

async function speech(seconds: number, name: string): Promise<string> {
  const unit = join(dir, 'unit.wav');
  await run('espeak-ng', ['-v', 'en-us', '-w', unit, 'Welcome to the course. Please listen carefully.']);
  const out = join(dir, name);
  await run('sox', [unit, out, 'repeat', '200', 'trim', '0', String(seconds)]);
  return out;
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Submits `count` renders at once and waits for all; returns wall time and queue-to-start latencies. */
async function burst(
  api: ApiClient,
  queue: Queue,
  count: number,
  body: Record<string, unknown>,
): Promise<{ wallSec: number; latenciesMs: number[] }> {
  const started = performance.now();
  const renders = await Promise.all(Array.from({ length: count }, () => api.submit(body)));
  const done = await Promise.all(
    renders.map((r) => api.waitFor(r.id, ['done', 'failed'], 1_800_000, undefined, count > 1 ? 1000 : 25)),
  );
  const wallSec = (performance.now() - started) / 1000;
  const failed = done.filter((r) => r.state !== 'done');
  if (failed.length) throw new Error(`${failed.length} renders failed: ${failed[0]!.error}`);
  const latenciesMs = await Promise.all(
    renders.map(async (r) => {
      const job = (await queue.getJob(r.id))!;
      return job.processedOn! - job.timestamp;
    }),
  );
  return { wallSec, latenciesMs: latenciesMs.sort((a, b) => a - b) };
}

const db = await createTestDatabase();
const config = await toolConfig({ VT_DATABASE_URL: db.url, VT_LOG_LEVEL: 'silent', VT_RECONCILE_SEC: '10' });
const tool = await startTestTool(config);
const api = await tenantClient(tool, 'bench');
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const queue = new Queue(renderQueueName('preview'), { connection: redis, prefix: config.VT_QUEUE_PREFIX });
// The nodes encode with the product's default x264 settings, like the direct render below.
const nodeEnv = {
  VT_QUEUE_PREFIX: config.VT_QUEUE_PREFIX,
  VT_X264_PRESET: 'superfast',
  VT_JOB_LOCK_SEC: '60',
};

try {
  const portrait = (await api.upload('portrait', PORTRAIT)).sha256;
  const shortAudio = (await api.upload('audio', await speech(2, 'short.wav'))).sha256;
  const lessonPath = await speech(60, 'lesson-60s.wav');
  const lessonAudio = (await api.upload('audio', lessonPath)).sha256;
  const short = { portrait, audio: shortAudio, size: '384*256' };

  console.log(
    `render farm benchmark: tool + PostgreSQL + Redis + nodes on one machine (${(await import('node:os')).cpus().length} cores)`,
  );

  // 1. Scaling: the same burst of short renders on one node, then on two.
  const one = [await startNode('bench-1', nodeEnv)];
  const solo = await burst(api, queue, SCALING, short);
  const two = [...one, await startNode('bench-2', nodeEnv)];
  const pair = await burst(api, queue, SCALING, short);
  console.log(
    `scaling (${SCALING} renders of 2 s at 384*256): 1 node ${(SCALING / solo.wallSec).toFixed(2)} renders/s, ` +
      `2 nodes ${(SCALING / pair.wallSec).toFixed(2)} renders/s: ×${(solo.wallSec / pair.wallSec).toFixed(2)}`,
  );

  // 2. Many short renders on two nodes: queue-to-start latency.
  const many = await burst(api, queue, RENDERS, short);
  console.log(
    `${RENDERS} short renders on 2 nodes: ${many.wallSec.toFixed(1)} s, ${(RENDERS / many.wallSec).toFixed(2)} renders/s; ` +
      `queue-to-start latency p50 ${(pct(many.latenciesMs, 50) / 1000).toFixed(2)} s, p99 ${(pct(many.latenciesMs, 99) / 1000).toFixed(2)} s ` +
      `(a burst: most of it is waiting for a free node)`,
  );
  // One at a time on idle nodes: the farm's own pickup latency.
  const pickups: number[] = [];
  for (let i = 0; i < 20; i++) pickups.push(...(await burst(api, queue, 1, short)).latenciesMs);
  pickups.sort((a, b) => a - b);
  console.log(
    `pickup on an idle node (20 single renders): p50 ${pct(pickups, 50).toFixed(0)} ms, p99 ${pct(pickups, 99).toFixed(0)} ms`,
  );

  // 3. Overhead of the farm over a direct local render of the same 60 s lesson (one node busy).
  await stopNode(two.pop()!, 'SIGTERM');
  const node = loadConfig({ ...process.env, VT_X264_PRESET: 'superfast' });
  const direct: number[] = [];
  const farm: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await renderPreview(
      { imagePath: PORTRAIT, audioPath: lessonPath, prompt: '', size: parseSize('688*368'), fps: 25 },
      {
        workDir: scratchDir('vt-bench-direct-'),
        maxAudioSeconds: node.VT_MAX_AUDIO_SECONDS,
        x264Preset: node.VT_X264_PRESET,
        x264Crf: node.VT_X264_CRF,
      },
    );
    direct.push((performance.now() - t) / 1000);
    farm.push((await burst(api, queue, 1, { portrait, audio: lessonAudio, size: '688*368' })).wallSec);
  }
  const best = (xs: number[]): number => Math.min(...xs);
  console.log(
    `60 s lesson at 688*368: direct ${direct.map((s) => s.toFixed(2)).join(' / ')} s, through the farm ` +
      `${farm.map((s) => s.toFixed(2)).join(' / ')} s (submit → done: inputs fetched, outputs uploaded and verified): ` +
      `overhead ${((best(farm) / best(direct) - 1) * 100).toFixed(1)} % (best of 3 each)`,
  );
  await recordFigures('farm', [
    {
      name: '60 s lesson through the farm',
      figure: best(farm),
      unit: 's',
      floor: best(direct),
      floorWhat: 'the same render, direct',
      ratio: best(direct) / best(farm),
    },
    { name: 'scaling, 2 nodes over 1', figure: solo.wallSec / pair.wallSec, unit: '×' },
    { name: 'pickup on an idle node, p99', figure: pct(pickups, 99), unit: 'ms' },
  ]);
  await Promise.all(two.map((n) => stopNode(n, 'SIGTERM')));
} finally {
  await queue.close();
  const keys = await redis.keys(`${config.VT_QUEUE_PREFIX}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await tool.close();
  await db.drop();
}
