import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ToolConfig } from '../lti-tool/src/config.js';
import { REPO_ROOT } from '../render-node/src/config.js';
import { toolProcessEnv } from '../tests/helpers/tool-process.js';

/**
 * Runs a tool process for a benchmark (by default the real one, `vt-tool start`) on `config`, so
 * the tool has its own CPU time apart from the clients and the platform simulator, and resolves
 * once `readyPath` answers. `args` runs something else in its place (the null tool).
 */
export async function startToolProcess(
  config: ToolConfig,
  o: { args?: string[]; readyPath?: string } = {},
): Promise<{ pid: number; stop(): Promise<void> }> {
  const prof = process.env.VT_BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.VT_BENCH_CPU_PROF}`]
    : [];
  const child: ChildProcess = spawn(
    process.execPath,
    [...prof, '--import', 'tsx', ...(o.args ?? ['lti-tool/src/cli/vt-tool.ts', 'start'])],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ...toolProcessEnv(config), VT_LOG_LEVEL: 'warn' },
    },
  );
  for (let ready = false; !ready; await sleep(200))
    ready = await fetch(`${config.VT_PUBLIC_URL}${o.readyPath ?? '/readyz'}`).then(
      (r) => r.ok,
      () => false,
    );
  return {
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** The p-th quantile of sorted figures. */
export const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
