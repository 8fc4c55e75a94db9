import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { VT_CLI } from './paths.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory of the process, MB, sampled from /proc every 50 ms. */
  peakRssMb: number;
  rssSamplesMb: number[];
}

/** Runs the built `vt` command as a user would, with a clean environment for its settings. */
export function runVt(
  args: string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    onSpawn?: (pid: number) => void;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [VT_CLI, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const rss: number[] = [];
    const sample = setInterval(() => {
      try {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1]);
        if (kb) rss.push(kb / 1024);
      } catch {
        // the process has just exited
      }
    }, 50);
    if (p.pid) options.onSpawn?.(p.pid);
    p.stdout.on('data', (d: Buffer) => (stdout += d));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => {
      clearInterval(sample);
      resolve({ code, stdout, stderr, peakRssMb: Math.max(0, ...rss), rssSamplesMb: rss });
    });
  });
}
