import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ToolConfig } from '../../lti-tool/src/config.js';
import { openDatabase, type Db } from '../../lti-tool/src/db/database.js';
import { TenantRepository } from '../../lti-tool/src/tenants/tenant-repository.js';
import { ApiClient, createTestDatabase, toolConfig } from './farm.js';
import { REPO } from './paths.js';

/** The environment a tool process runs `config` with (tests and benchmarks alike). */
export const toolProcessEnv = (config: ToolConfig): Record<string, string> => ({
  VT_DATABASE_URL: config.VT_DATABASE_URL,
  VT_TOOL_PORT: String(config.VT_TOOL_PORT),
  VT_PUBLIC_URL: config.VT_PUBLIC_URL,
  VT_REDIS_URL: config.VT_REDIS_URL,
  VT_QUEUE_PREFIX: config.VT_QUEUE_PREFIX,
  VT_MEDIA_DIR: config.VT_MEDIA_DIR,
  VT_ALLOW_PRIVATE_HOSTS: String(config.VT_ALLOW_PRIVATE_HOSTS),
});

export interface ToolProcess {
  readonly url: string;
  readonly process: ChildProcess;
  /** What the process printed (its JSON log lines). */
  output(): string;
  /** Whether the process is still running and answers /healthz. */
  alive(): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * The real tool (`vt-tool start`, built) in a process of its own, for attacks whose question is
 * whether the process survives: an in-process tool would share the test runner's fate.
 */
export async function startToolProcess(
  config: ToolConfig,
  env: Record<string, string> = {},
): Promise<ToolProcess> {
  const child = spawn(process.execPath, [join(REPO, 'dist/lti-tool/src/cli/vt-tool.js'), 'start'], {
    env: { ...process.env, ...toolProcessEnv(config), VT_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = (): void => {
      if (out.includes('vt-tool listening on')) resolve();
    };
    child.stdout!.on('data', onData);
    void exited.then(() => reject(new Error(`vt-tool exited ${child.exitCode}: ${out}`)));
  });
  const url = config.VT_PUBLIC_URL;
  return {
    url,
    process: child,
    output: () => out,
    async alive() {
      if (child.exitCode !== null || child.signalCode !== null) return false;
      return fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A tool process on a database of its own, with one tenant and its API client; `stop` undoes it all. */
export interface ToolProcessStack {
  readonly tool: ToolProcess;
  readonly config: ToolConfig;
  /** The tool's database, for setting up and checking. */
  readonly pool: Db;
  readonly dbUrl: string;
  readonly api: ApiClient;
  readonly apiKey: string;
  stop(): Promise<void>;
}

export async function startToolProcessStack(tenantId = 't1'): Promise<ToolProcessStack> {
  const db = await createTestDatabase();
  const config = await toolConfig({ VT_DATABASE_URL: db.url });
  const tool = await startToolProcess(config);
  const pool = openDatabase(db.url);
  const tenants = new TenantRepository(pool);
  await tenants.ensureTenant(tenantId, tenantId);
  const apiKey = (await tenants.createApiKey(tenantId, 'tests')).secret;
  return {
    tool,
    config,
    pool,
    dbUrl: db.url,
    api: new ApiClient(tool.url, apiKey),
    apiKey,
    async stop() {
      await tool.stop();
      await pool.end();
      await db.drop();
    },
  };
}
