import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadToolConfig, type ToolConfig } from '../../lti-tool/src/config.js';
import { startTool, type RunningTool } from '../../lti-tool/src/server.js';
import { REPO } from './paths.js';
import { scratchDir } from './speech.js';

export const REDIS_URL = process.env.VT_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PG_ADMIN_URL = process.env.VT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database of its own for one test file, on the real PostgreSQL server; dropped afterwards. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `vt_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A tool configuration for tests: its own database, media folder and queue prefix; loopback only. */
export async function toolConfig(
  over: Partial<Record<keyof ToolConfig, string>> & { VT_DATABASE_URL: string },
): Promise<ToolConfig> {
  const port = String(await freePort());
  return loadToolConfig({
    VT_TOOL_PORT: port,
    VT_PUBLIC_URL: `http://127.0.0.1:${port}`,
    VT_REDIS_URL: REDIS_URL,
    VT_QUEUE_PREFIX: `vt-test-${randomBytes(4).toString('hex')}`,
    VT_MEDIA_DIR: join(scratchDir('vt-media-'), 'media'),
    VT_RECONCILE_SEC: '1',
    VT_RENDER_BACKOFF_MS: '300',
    VT_LOG_LEVEL: 'silent',
    // Every peer of the tests (platform, DingTalk and speech simulators) is on loopback.
    VT_ALLOW_PRIVATE_HOSTS: 'true',
    // No test reaches the real DingTalk: unless a test names its simulator, DingTalk is a closed port.
    VT_DINGTALK_OAPI_URL: 'http://127.0.0.1:9',
    VT_DINGTALK_API_URL: 'http://127.0.0.1:9',
    VT_DINGTALK_LOGIN_URL: 'http://127.0.0.1:9',
    ...over,
  });
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts the tool in this process, on its configured port (signed URLs are built on VT_PUBLIC_URL). */
export function startTestTool(config: ToolConfig): Promise<RunningTool> {
  return startTool(config);
}

export interface TestNode {
  readonly id: string;
  readonly process: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process ended. */
  readonly exited: Promise<number | null>;
}

/** A job lock short enough that another node takes over a killed node's job within seconds. */
export const SHORT_JOB_LOCK = { VT_JOB_LOCK_SEC: '3' } as const;

/** Starts a real render node (the built CLI) in its own process. */
export async function startNode(id: string, env: Record<string, string>): Promise<TestNode> {
  const child = spawn(
    process.execPath,
    [join(REPO, 'dist/render-node/src/cli/render-node.js'), 'start', '--node-id', id],
    {
      env: {
        ...process.env,
        VT_REDIS_URL: REDIS_URL,
        VT_X264_PRESET: 'ultrafast',
        // Long enough that a starved CPU never lets a live job's lock lapse (a second attempt would
        // report its stages again); the node-death tests pass SHORT_JOB_LOCK to notice a kill fast.
        VT_JOB_LOCK_SEC: '30',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d;
      if (out.includes(' ready: ')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`render-node ${id} exited ${code}: ${out}`)));
  });
  return { id, process: child, output: () => out, exited };
}

export async function stopNode(node: TestNode, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (node.process.exitCode === null && node.process.signalCode === null) node.process.kill(signal);
  await node.exited;
}

export interface RenderView {
  id: string;
  lessonId: string;
  versionId: string;
  state: string;
  error: string | null;
  nodeId: string | null;
  notes: string[];
  progress: { stage: string; percent: number } | null;
  media?: {
    mp4: string;
    hls: string;
    poster: string;
    durationSec: number;
    captions?: { language: string; url: string };
    chapters?: string;
  };
  history: Array<{ kind: string; nodeId: string | null; message: string }>;
}

/** The tool's HTTP API as a tenant's API key sees it. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly key: string,
  ) {}

  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${this.key}`, ...(init.headers as Record<string, string>) },
    });
  }

  async upload(
    kind: 'portrait' | 'audio',
    file: string,
    name = basename(file),
  ): Promise<{ sha256: string; bytes: number }> {
    const form = new FormData();
    form.set('kind', kind);
    form.set('file', new Blob([readFileSync(file)]), name);
    const res = await this.fetch('/api/assets', { method: 'POST', body: form });
    if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as { sha256: string; bytes: number };
  }

  async submit(body: Record<string, unknown>): Promise<RenderView> {
    const res = await this.fetch('/api/renders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as RenderView;
  }

  async render(id: string): Promise<RenderView> {
    const res = await this.fetch(`/api/renders/${id}`);
    if (!res.ok) throw new Error(`GET render answered ${res.status}`);
    return (await res.json()) as RenderView;
  }

  /** Polls until the render is in one of `states` (the tool may be away meanwhile: retried). */
  async waitFor(
    id: string,
    states: string[],
    timeoutMs = 120_000,
    check?: (r: RenderView) => boolean,
    intervalMs = 150,
  ): Promise<RenderView> {
    const deadline = Date.now() + timeoutMs;
    let last: RenderView | undefined;
    while (Date.now() < deadline) {
      last = await this.render(id).catch(() => last);
      if (last && states.includes(last.state) && (!check || check(last))) return last;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    throw new Error(`render ${id} is still ${last?.state}: ${JSON.stringify(last?.history)}`);
  }
}

/** A tenant with an API key on a running tool. */
export async function tenantClient(
  tool: RunningTool,
  tenantId = `tenant-${randomBytes(3).toString('hex')}`,
): Promise<ApiClient> {
  await tool.tenants.ensureTenant(tenantId, tenantId);
  const key = await tool.tenants.createApiKey(tenantId, 'tests');
  return new ApiClient(tool.url, key.secret);
}

/**
 * Waits until nobody but the asker is connected to a test's own redis-server, before the test stops
 * it. A tool's close gives its queue workers a bounded time; on a loaded machine a worker may still be
 * finishing its blocking read, and a Redis stopped under it would leave its client reconnecting for
 * ever (the run would end with open timers). Bounded: after `ms` the server is stopped anyway.
 */
export async function untilRedisIdle(url: string, ms = 30_000): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const clients = String(await r.call('CLIENT', 'LIST'))
        .trim()
        .split('\n').length;
      if (clients <= 1) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch {
    // The server is already gone: nothing to wait for.
  } finally {
    r.disconnect();
  }
}
