import { Redis } from 'ioredis';
import type { RunningTool } from '../../lti-tool/src/server.js';
import {
  createTestDatabase,
  freePort,
  REDIS_URL,
  startNode,
  startTestTool,
  stopNode,
  tenantClient,
  toolConfig,
  type TestNode,
} from '../helpers/farm.js';
import { PORTRAIT } from '../helpers/paths.js';
import { makeSpeech } from '../helpers/speech.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let tool: RunningTool;
let prefix: string;
let node: TestNode;
let healthPort: number;
const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  db = await createTestDatabase();
  const config = await toolConfig({ VT_DATABASE_URL: db.url });
  prefix = config.VT_QUEUE_PREFIX;
  tool = await startTestTool(config);
  await tool.adminUsers.set('ops', PASSWORD);
  healthPort = await freePort();
  node = await startNode('ops-node', { VT_QUEUE_PREFIX: prefix, VT_NODE_HEALTH_PORT: String(healthPort) });
});

afterAll(async () => {
  await stopNode(node, 'SIGTERM');
  await tool?.close();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await db?.drop();
});

import { QUEUE_NAMES } from '../../lti-tool/src/jobs/queues.js';

/** Signs in through the login form; returns the session cookie. */
async function signIn(
  password: string,
): Promise<{ status: number; location: string | null; cookie?: string }> {
  const res = await fetch(`${tool.url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: tool.url },
    body: new URLSearchParams({ username: 'ops', password }),
  });
  return {
    status: res.status,
    location: res.headers.get('location'),
    cookie: res.headers.get('set-cookie')?.split(';')[0],
  };
}

describe('operations: health, metrics, admin views', () => {
  it('answers health checks on the tool (liveness, readiness with PostgreSQL and Redis) and on the node', async () => {
    expect(await (await fetch(`${tool.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${tool.url}/readyz`)).json()).toEqual({
      status: 'ok',
      database: 'ok',
      redis: 'ok',
    });
    const nodeHealth = await fetch(`http://127.0.0.1:${healthPort}/healthz`);
    expect(nodeHealth.status).toBe(200);
    expect(await nodeHealth.json()).toMatchObject({ status: 'ok', nodeId: 'ops-node', engines: ['preview'] });
  });

  it('exports Prometheus metrics: jobs by state, render seconds, × real time, queue latency, live nodes', async () => {
    const api = await tenantClient(tool);
    const portrait = (await api.upload('portrait', PORTRAIT)).sha256;
    const audio = (await api.upload('audio', (await makeSpeech([{ say: 'Metrics.' }])).path)).sha256;
    const r = await api.submit({ portrait, audio, size: '256*384' });
    expect((await api.waitFor(r.id, ['done', 'failed'])).state).toBe('done');
    // The node logged the job's start and end, one JSON line each.
    const jobLines = node
      .output()
      .split('\n')
      .filter((l) => l.includes('"event":"render-job"') && l.includes(r.id))
      .map((l) => JSON.parse(l) as { state: string; nodeId: string });
    expect(jobLines.map((l) => [l.state, l.nodeId])).toEqual([
      ['started', 'ops-node'],
      ['done', 'ops-node'],
    ]);
    const text = await (await fetch(`${tool.url}/metrics`)).text();
    expect(text).toMatch(/^vt_render_jobs\{engine="preview",state="completed"\} 1$/m);
    expect(text).toMatch(/^vt_render_seconds_count\{engine="preview"\} 1$/m);
    expect(text).toMatch(/^vt_render_realtime_factor_count\{engine="preview"\} 1$/m);
    expect(text).toMatch(/^vt_queue_latency_seconds_count\{engine="preview"\} 1$/m);
    expect(text).toMatch(/^vt_renders_finished_total\{engine="preview",outcome="done"\} 1$/m);
    expect(text).toMatch(/^vt_render_nodes\{engine="preview"\} 1$/m);
    // Recorded, and a real figure (how fast depends on the machine and its load, so no bound on it).
    const sum = Number(/^vt_render_realtime_factor_sum\{engine="preview"\} (\S+)$/m.exec(text)![1]);
    expect(sum).toBeGreaterThan(0);
  });

  it('keeps the admin pages behind a login: wrong password refused, then nodes and queues for the right one', async () => {
    const anonymous = await fetch(`${tool.url}/admin`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/admin/login');
    expect(
      (await fetch(`${tool.url}/admin/queues/api/queues`, { headers: { accept: 'application/json' } }))
        .status,
    ).toBe(401);

    const wrong = await signIn('not the password at all');
    expect(wrong.location).toBe('/admin/login?failed');
    const ok = await signIn(PASSWORD);
    expect(ok.location).toBe('/admin');
    expect(ok.cookie).toMatch(/^vt_admin=/);

    const nodes = await fetch(`${tool.url}/admin`, {
      headers: { cookie: ok.cookie!, 'accept-language': 'zh-CN' },
    });
    expect(nodes.status).toBe(200);
    const html = await nodes.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('渲染节点');
    expect(html).toContain('ops-node');
    const queues = await fetch(`${tool.url}/admin/queues/api/queues?activeQueue=render-preview`, {
      headers: { cookie: ok.cookie! },
    });
    expect(queues.status).toBe(200);
    const board = (await queues.json()) as { queues: Array<{ name: string }> };
    // Every queue of the product is there, not only the renders (jobs/queues.ts).
    expect(board.queues.map((q) => q.name).sort()).toEqual([...QUEUE_NAMES].sort());

    // One page says what runs in the background: each queue's jobs by state, and its outbox.
    const background = await (
      await fetch(`${tool.url}/admin/background`, { headers: { cookie: ok.cookie! } })
    ).text();
    for (const name of QUEUE_NAMES) expect(background).toContain(`<tr data-queue="${name}">`);
    expect(background).toMatch(
      /<tr data-queue="render-preview">[\s\S]*?data-state="completed"[^>]*>\s*1\s*</,
    );
    expect(background).toMatch(/<tr data-queue="grades">[\s\S]*?data-backlog="pending">pending: 0/);
    expect(background).toMatch(/<tr data-queue="dingtalk-notices">[\s\S]*?data-backlog="failed">failed: 0/);
    // And /metrics has the same.
    const metrics = await (await fetch(`${tool.url}/metrics`)).text();
    expect(metrics).toMatch(/^vt_queue_jobs\{queue="render-preview",state="completed"\} 1$/m);
    expect(metrics).toMatch(/^vt_queue_jobs\{queue="grades",state="failed"\} 0$/m);
    expect(metrics).toMatch(/^vt_outbox_rows\{queue="grades",status="pending"\} 0$/m);
    expect(metrics).toMatch(/^vt_outbox_rows\{queue="dingtalk-notices",status="sent"\} 0$/m);
  });

  it('refuses cross-site writes to the admin (CSRF), even with a valid session cookie', async () => {
    const ok = await signIn(PASSWORD);
    const res = await fetch(`${tool.url}/admin/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: ok.cookie!, origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    const still = await fetch(`${tool.url}/admin`, { headers: { cookie: ok.cookie! } });
    expect(still.status).toBe(200);
  });
});
