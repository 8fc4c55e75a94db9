import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { ToolConfig } from '../../lti-tool/src/config.js';
import type { RunningTool } from '../../lti-tool/src/server.js';
import {
  createTestDatabase,
  freePort,
  REDIS_URL,
  SHORT_JOB_LOCK,
  startNode,
  startTestTool,
  stopNode,
  tenantClient,
  untilRedisIdle,
  toolConfig,
  type ApiClient,
  type RenderView,
  type TestNode,
} from '../helpers/farm.js';
import { PORTRAIT } from '../helpers/paths.js';
import { makeSpeech, scratchDir } from '../helpers/speech.js';
import { until } from '../helpers/until.js';
import { ENGINES } from '../../render-node/src/contract/render-job.js';
import { ffprobe } from '../helpers/video.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let config: ToolConfig;
let tool: RunningTool;
let api: ApiClient;
let portrait: string;
let longAudio: string;
let longSec: number;
const running: TestNode[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  config = await toolConfig({ VT_DATABASE_URL: db.url });
  tool = await startTestTool(config);
  api = await tenantClient(tool, 'faults-tenant');
  const speech = await makeSpeech([
    { say: 'This lesson renders in chunks, and it survives a render node that dies. '.repeat(3) },
  ]);
  longSec = speech.durationSec;
  portrait = (await api.upload('portrait', PORTRAIT)).sha256;
  longAudio = (await api.upload('audio', speech.path)).sha256;
});

afterAll(async () => {
  await Promise.all(running.map((n) => stopNode(n)));
  await tool?.close();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${config.VT_QUEUE_PREFIX}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await db?.drop();
});

async function node(id: string, env: Record<string, string> = {}): Promise<TestNode> {
  const n = await startNode(id, { VT_QUEUE_PREFIX: config.VT_QUEUE_PREFIX, ...SHORT_JOB_LOCK, ...env });
  running.push(n);
  return n;
}

const chunksUploaded = (r: RenderView): number =>
  r.history.filter((e) => /^chunk \d+ of \d+ uploaded$/.test(e.message)).length;

async function chunkUploads(renderId: string): Promise<Array<{ name: string; uploads: number }>> {
  const { rows } = await tool.db.query<{ name: string; uploads: number }>(
    `SELECT name, uploads FROM render_files WHERE render_id = $1 AND name LIKE 'chunks/%' ORDER BY name`,
    [renderId],
  );
  return rows;
}

async function expectPlayable(r: RenderView, seconds: number): Promise<void> {
  const file = join(scratchDir(), `${r.id}.mp4`);
  writeFileSync(file, Buffer.from(await (await fetch(r.media!.mp4)).arrayBuffer()));
  const probe = await ffprobe(file, true);
  expect(Math.abs(Number(probe.format.duration) - seconds)).toBeLessThanOrEqual(0.05);
  const video = probe.streams.find((s) => s.codec_type === 'video')!;
  expect(Number(video.nb_read_frames)).toBe(Math.round(seconds * 25));
}

describe('render farm faults: nothing lost, nothing done twice', () => {
  it('a node killed with SIGKILL mid-job: another node resumes after the last uploaded chunk', async () => {
    const a = await node('doomed-node');
    const r = await api.submit({ portrait, audio: longAudio, size: '1280*720', chunkSec: 2 });
    const before = await api.waitFor(r.id, ['active'], 60_000, (v) => chunksUploaded(v) >= 2);
    await stopNode(a, 'SIGKILL');
    const uploadedBefore = chunksUploaded(await api.render(r.id));
    expect(uploadedBefore).toBeGreaterThanOrEqual(2);
    expect(before.nodeId).toBe('doomed-node');

    await node('rescue-node');
    const done = await api.waitFor(r.id, ['done', 'failed'], 120_000);
    expect(done.state).toBe('done');
    const kinds = done.history.map((e) => e.kind);
    expect(kinds).toContain('stalled');
    const handOver = done.history.find((e) => e.kind === 'handed-over');
    expect(handOver?.message).toBe('handed over from node doomed-node to node rescue-node');
    const resumed = done.history.find((e) => e.message.startsWith('resumed after'));
    expect(resumed?.nodeId).toBe('rescue-node');
    // Resumed after the chunks the killed node had finished (the one it was uploading may be redone).
    expect(Number(/resumed after (\d+)/.exec(resumed!.message)![1])).toBeGreaterThanOrEqual(uploadedBefore);
    // No chunk was uploaded twice; one final output set.
    const chunks = await chunkUploads(r.id);
    expect(chunks.length).toBe(Math.ceil((longSec * 25) / 50));
    expect(chunks.every((c) => c.uploads === 1)).toBe(true);
    expect(kinds.filter((k) => k === 'done')).toHaveLength(1);
    const { rows } = await tool.db.query<{ uploads: number }>(
      `SELECT uploads FROM render_files WHERE render_id = $1 AND name = 'lesson.mp4'`,
      [r.id],
    );
    expect(rows).toEqual([{ uploads: 1 }]);
    await expectPlayable(done, longSec);
    await stopNode(running.pop()!, 'SIGTERM');
  });

  it('SIGTERM past the grace time hands the job back to the queue; it is not failed and resumes elsewhere', async () => {
    const a = await node('leaving-node', { VT_SHUTDOWN_GRACE_SEC: '0' });
    const r = await api.submit({ portrait, audio: longAudio, size: '1280*720', chunkSec: 2 });
    await api.waitFor(r.id, ['active'], 60_000, (v) => chunksUploaded(v) >= 1);
    await stopNode(a, 'SIGTERM');
    expect(await a.exited).toBe(0);
    await node('staying-node');
    const done = await api.waitFor(r.id, ['done', 'failed'], 120_000);
    expect(done.state).toBe('done');
    expect(done.history.map((e) => e.kind)).not.toContain('retried');
    expect(done.history.find((e) => e.kind === 'handed-over')?.message).toBe(
      'handed over from node leaving-node to node staying-node',
    );
    expect((await chunkUploads(r.id)).every((c) => c.uploads === 1)).toBe(true);
    await stopNode(running.pop()!, 'SIGTERM');
  });

  it('the tool restarted while a node renders: uploads retry until it is back, and the render completes', async () => {
    await node('patient-node', { VT_UPLOAD_RETRY_SEC: '120' });
    const r = await api.submit({ portrait, audio: longAudio, size: '1280*720', chunkSec: 2 });
    await api.waitFor(r.id, ['active'], 60_000, (v) => chunksUploaded(v) >= 1);
    await tool.close();
    await new Promise((resolve) => setTimeout(resolve, 5000)); // the node keeps rendering and retrying
    tool = await startTestTool(config);
    const backAt = new Date();
    const done = await api.waitFor(r.id, ['done', 'failed'], 120_000);
    expect(done.state).toBe('done');
    expect(done.history.filter((e) => e.kind === 'done')).toHaveLength(1);
    expect((await chunkUploads(r.id)).every((c) => c.uploads === 1)).toBe(true);
    // Files the node finished while the tool was away arrived once it was back: the node retried them.
    const { rows } = await tool.db.query(
      'SELECT name FROM render_files WHERE render_id = $1 AND uploaded_at >= $2',
      [r.id, backAt],
    );
    expect(rows.length).toBeGreaterThan(0);
    await expectPlayable(done, longSec);
    await stopNode(running.pop()!, 'SIGTERM');
  });
});

describe('Redis restarted during a run (its own redis-server, appendonly, fsync always)', () => {
  it('loses no job the tool acknowledged, and renders each once', async () => {
    const dir = scratchDir('vt-redis-');
    const port = await freePort();
    // Daemonized: the command returns once the server runs (or has failed to start).
    const startRedis = async (): Promise<void> => {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
      args.push('--appendonly', 'yes', '--appendfsync', 'always');
      args.push('--daemonize', 'yes', '--pidfile', join(dir, 'redis.pid'));
      const { status } = spawnSync('redis-server', args, { stdio: 'ignore' });
      if (status !== 0) throw new Error(`redis-server exited ${status}`);
    };
    const redisUrl = `redis://127.0.0.1:${port}`;
    await startRedis();
    await waitForRedis(redisUrl);
    // A farm of its own: one database goes with one Redis (a tool instance on another Redis would
    // take this farm's renders for its own).
    const ownDb = await createTestDatabase();
    const ownConfig = await toolConfig({ VT_DATABASE_URL: ownDb.url, VT_REDIS_URL: redisUrl });
    const ownTool = await startTestTool(ownConfig);
    const ownApi = await tenantClient(ownTool, 'faults-tenant');
    try {
      const short = await makeSpeech([{ say: 'Nothing is lost.' }]);
      const audio = (await ownApi.upload('audio', short.path)).sha256;
      const portrait = (await ownApi.upload('portrait', PORTRAIT)).sha256;
      // Acknowledged while no node runs: the jobs sit in Redis only.
      const acked = await Promise.all(
        Array.from({ length: 4 }, () => ownApi.submit({ portrait, audio, size: '256*384' })),
      );
      expect(acked.map((r) => r.state)).toEqual(Array(4).fill('queued'));

      // Killed hard, then started again from its append-only file.
      process.kill(Number(readFileSync(join(dir, 'redis.pid'), 'utf8')), 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 500));
      // A render submitted while Redis is down is still acknowledged: PostgreSQL holds it.
      const during = await ownApi.submit({ portrait, audio, size: '256*384' });
      expect(during.state).toBe('submitted');

      await startRedis();

      await waitForRedis(redisUrl);
      // The tool's event followers must be back before a node renders: a progress report sent while
      // they reconnect is not seen (the reconciler still finishes the render, without its "started").
      await untilFollowing(redisUrl, ENGINES.length);

      const n = await startNode('after-restart', {
        ...SHORT_JOB_LOCK,
        VT_QUEUE_PREFIX: ownConfig.VT_QUEUE_PREFIX,
        VT_REDIS_URL: redisUrl,
      });
      running.push(n);
      const done = await Promise.all(
        // One node renders the five one after another, after Redis and its clients came back: bounds
        // for a loaded machine, not a fast one.
        [...acked, during].map((r) => ownApi.waitFor(r.id, ['done', 'failed'], 240_000)),
      );
      expect(done.map((r) => r.state)).toEqual(Array(5).fill('done'));
      for (const r of done) expect(r.history.filter((e) => e.kind === 'started')).toHaveLength(1);
      await stopNode(running.pop()!, 'SIGTERM');
    } finally {
      await ownTool.close();
      await ownDb.drop();
      await untilRedisIdle(redisUrl);
      process.kill(Number(readFileSync(join(dir, 'redis.pid'), 'utf8')), 'SIGTERM');
    }
  }, 300_000);
});

/** Waits until `n` clients block reading event streams (the tool's QueueEvents, one per engine). */
async function untilFollowing(url: string, n: number): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 0 });
  r.on('error', () => {});
  try {
    const reading = async (): Promise<number> =>
      String(await r.client('LIST'))
        .split('\n')
        .filter((l) => / cmd=xread\b/.test(l)).length;
    await until('the tool to follow the farm’s events again', async () => (await reading()) >= n, 60_000);
  } finally {
    r.disconnect();
  }
}

async function waitForRedis(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    try {
      await r.connect();
      if ((await r.ping()) === 'PONG') return r.disconnect();
    } catch {
      r.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('redis did not start');
}
