import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { adminSignIn } from '../helpers/admin.js';
import pino from 'pino';
import { JobRegistry } from '../../lti-tool/src/jobs/job-registry.js';
import { createTestDatabase, freePort, startTestTool, toolConfig } from '../helpers/farm.js';
import { RecordingWorker } from '../helpers/recording-worker.js';
import { scratchDir } from '../helpers/speech.js';

/**
 * Redis away: the requests that count in it (sign-in attempts, registration limits) and the
 * readiness probe still answer, at once, instead of waiting for Redis to come back. The workers'
 * client keeps its commands until then (BullMQ needs that); the request path must not. Queue
 * workers and the tool itself still close.
 */
const dir = scratchDir('vt-redis-outage-');
let port: number;
let tool: RunningTool | undefined;
let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
let workerRedis: Redis;
let worker: RecordingWorker;
const PASSWORD = 'correct horse battery staple';

const startRedis = (): void => {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
  ];
  args.push('--daemonize', 'yes', '--pidfile', join(dir, 'redis.pid'));
  const { status } = spawnSync('redis-server', args, { stdio: 'ignore' });
  if (status !== 0) throw new Error(`redis-server exited ${status}`);
};
const redisPid = (): number => Number(readFileSync(join(dir, 'redis.pid'), 'utf8'));

async function redisAnswers(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** A hang is forever; this bound is only generous, for a loaded machine. */
const answered = <T>(p: Promise<T>, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not answer while Redis was away`)), 20_000).unref(),
    ),
  ]);

beforeAll(async () => {
  port = await freePort();
  startRedis();
  const url = `redis://127.0.0.1:${port}`;
  while (!(await redisAnswers(url))) await new Promise((r) => setTimeout(r, 50));
  db = await createTestDatabase();
  tool = await startTestTool(await toolConfig({ VT_DATABASE_URL: db.url, VT_REDIS_URL: url }));
  await tool.adminUsers.set('ops', PASSWORD);
  await adminSignIn(tool.url, 'ops', PASSWORD);
  workerRedis = new Redis(url, { maxRetriesPerRequest: null });
  workerRedis.on('error', () => {});
  worker = new RecordingWorker(new JobRegistry(workerRedis, 'vt-outage', pino({ level: 'silent' })));
  worker.start();
  await worker.ready();
  process.kill(redisPid(), 'SIGKILL');
  while (await redisAnswers(url)) await new Promise((r) => setTimeout(r, 50));
}, 60_000);

afterAll(async () => {
  // Closed while Redis is still away: a shutdown during an outage ends, and leaves nothing running
  // (the run's watchdog names any timer or socket left behind).
  await tool?.close();
  await db?.drop();
});

describe('while Redis is away', () => {
  it('the admin sign-in still answers: right password in, wrong one refused', async () => {
    const cookie = await answered(adminSignIn(tool!.url, 'ops', PASSWORD), 'a sign-in');
    expect(cookie).toMatch(/=/);
    const wrong = await answered(
      fetch(`${tool!.url}/admin/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: tool!.url },
        body: new URLSearchParams({ username: 'ops', password: 'wrong' }),
      }),
      'a wrong password',
    );
    expect(wrong.status).toBe(303);
    expect(wrong.headers.get('location')).toBe('/admin/login?failed');
  }, 60_000);

  it('a registration link is still checked (its limit counts in memory)', async () => {
    const res = await answered(fetch(`${tool!.url}/lti/register/no-such-token`), 'registration');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  }, 60_000);

  it('a queue worker closes in full, at once (BullMQ would wait for Redis, and keep its timers running)', async () => {
    expect(await answered(worker.close(), 'closing a queue worker')).toBe(true);
    workerRedis.disconnect();
  }, 60_000);

  it('readiness says Redis is down', async () => {
    const res = await answered(fetch(`${tool!.url}/readyz`), 'readiness');
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/redis/i);
  }, 60_000);
});
