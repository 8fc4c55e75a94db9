import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { RunningTool } from '../../lti-tool/src/server.js';
import {
  createTestDatabase,
  REDIS_URL,
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
import { ffprobe } from '../helpers/video.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let tool: RunningTool;
let prefix: string;
let api: ApiClient;
let nodes: TestNode[] = [];
let speech: Speech;
let portrait: string;
let audio: string;
const redis = new Redis(REDIS_URL);

beforeAll(async () => {
  db = await createTestDatabase();
  const config = await toolConfig({ VT_DATABASE_URL: db.url });
  prefix = config.VT_QUEUE_PREFIX;
  tool = await startTestTool(config);
  api = await tenantClient(tool);
  speech = await makeSpeech([{ say: 'Welcome to the render farm. Every job is done once.' }]);
  portrait = (await api.upload('portrait', PORTRAIT)).sha256;
  audio = (await api.upload('audio', speech.path)).sha256;
  const env = { VT_QUEUE_PREFIX: prefix };
  nodes = await Promise.all([startNode('farm-a', env), startNode('farm-b', env)]);
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => stopNode(n)));
  await tool?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await db?.drop();
});

const job = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  portrait,
  audio,
  size: '384*256',
  title: 'Farm lesson',
  prompt: 'A trainer in a bright office',
  ...over,
});

describe('render farm: the tool and two render nodes (real Redis, PostgreSQL, ffmpeg)', () => {
  it('nodes announce themselves: id, host, engines, GPUs, version, with a heartbeat that expires', async () => {
    for (const n of nodes) {
      const key = `${prefix}:vt:render-nodes:${n.id}`;
      expect(JSON.parse((await redis.get(key))!)).toMatchObject({
        nodeId: n.id,
        hostname: expect.any(String),
        engines: ['preview'],
        gpus: [],
        concurrency: 1,
        version: expect.any(String),
      });
      expect(await redis.ttl(key)).toBeGreaterThan(0);
    }
  });

  it('ten jobs on two nodes: every job done once, work spread over both, outputs verified and playable', async () => {
    const submitted = await Promise.all(
      Array.from({ length: 10 }, (_, i) => api.submit(job({ title: `Lesson ${i}` }))),
    );
    const done = await Promise.all(submitted.map((r) => api.waitFor(r.id, ['done', 'failed'])));
    expect(done.map((r) => r.state)).toEqual(Array(10).fill('done'));
    for (const r of done) {
      // Exactly one start and one completion in each history; no retries.
      expect(r.history.filter((e) => e.kind === 'done')).toHaveLength(1);
      expect(r.history.filter((e) => e.kind === 'started')).toHaveLength(1);
      expect(r.history.map((e) => e.kind)).not.toContain('retried');
    }
    const byNode = new Set(done.map((r) => r.nodeId));
    expect(byNode).toEqual(new Set(['farm-a', 'farm-b']));
    // Every uploaded file was uploaded once.
    const { rows } = await tool.db.query<{ max: number }>('SELECT max(uploads) AS max FROM render_files');
    expect(rows[0]!.max).toBe(1);

    const r = done[0]!;
    const mp4 = await fetch(r.media!.mp4);
    expect(mp4.status).toBe(200);
    expect(mp4.headers.get('content-type')).toBe('video/mp4');
    const file = join(scratchDir(), 'farm.mp4');
    writeFileSync(file, Buffer.from(await mp4.arrayBuffer()));
    const probe = await ffprobe(file);
    expect(Math.abs(Number(probe.format.duration) - speech.durationSec)).toBeLessThanOrEqual(0.04);
    expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    const playlist = await fetch(r.media!.hls);
    expect(playlist.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    const segment = (await playlist.text()).split('\n').find((l) => l.endsWith('.ts'))!;
    const ts = await fetch(new URL(segment, r.media!.hls));
    expect(ts.status).toBe(200);
    expect(ts.headers.get('content-type')).toBe('video/mp2t');
    expect((await fetch(r.media!.poster)).headers.get('content-type')).toBe('image/jpeg');
  });

  it('streams progress as Server-Sent Events: stages in order, then the end', async () => {
    // Both nodes busy first, so the stream is open before the followed render starts.
    const busy = await Promise.all([
      api.submit(job({ size: '1280*720' })),
      api.submit(job({ size: '1280*720' })),
    ]);
    await Promise.all(busy.map((b) => api.waitFor(b.id, ['active'])));
    const r = await api.submit(job());
    const res = await api.fetch(`/api/renders/${r.id}/events`);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text(); // the stream ends when the render does
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => ({
      event: m[1]!,
      data: JSON.parse(m[2]!) as Record<string, unknown>,
    }));
    expect(events[0]!.event).toBe('render');
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data);
    const stages = [...new Set(progress.map((p) => p.stage))];
    expect(stages).toEqual(['fetch', 'analyse', 'render', 'upload']);
    const percents = progress.map((p) => p.percent as number);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
    expect(progress.some((p) => typeof p.framesDone === 'number' && typeof p.etaSec === 'number')).toBe(true);
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { state: 'done' } });
  });

  it('bad input fails at once, without retries, with the message the author will see', async () => {
    const notAFace = join(scratchDir(), 'wall.png');
    const sharp = (await import('sharp')).default;
    await sharp({ create: { width: 320, height: 240, channels: 3, background: '#8a8f99' } })
      .png()
      .toFile(notAFace);
    const wall = (await api.upload('portrait', notAFace)).sha256;
    const r = await api.waitFor((await api.submit(job({ portrait: wall }))).id, ['failed', 'done']);
    expect(r.state).toBe('failed');
    expect(r.error).toMatch(/face.*\[NO_FACE\]/i);
    expect(r.history.map((e) => e.kind)).not.toContain('retried');
  });

  it('cancels a render a node is working on: the node aborts it, and it stays cancelled', async () => {
    const long = await makeSpeech([{ say: 'This lesson is long. '.repeat(12) }]);
    const sha = (await api.upload('audio', long.path)).sha256;
    const r = await api.submit(job({ audio: sha, size: '1280*720', chunkSec: 4 }));
    await api.waitFor(r.id, ['active'], 60_000, (v) => v.progress?.stage === 'render');
    const res = await api.fetch(`/api/renders/${r.id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect((await api.fetch(`/api/renders/${r.id}/cancel`, { method: 'POST' })).status).toBe(409);
    // The node that had it lets it go (its presence stops naming it), and the render never turns done.
    const busy = async (): Promise<boolean> =>
      (
        await Promise.all(
          nodes.map(async (n) => JSON.parse((await redis.get(`${prefix}:vt:render-nodes:${n.id}`))!)),
        )
      )
        .flatMap((n: { currentJobs: string[] }) => n.currentJobs)
        .includes(r.id);
    const deadline = Date.now() + 60_000;
    while ((await busy()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await busy()).toBe(false);
    expect((await api.render(r.id)).state).toBe('cancelled');
  });
});
