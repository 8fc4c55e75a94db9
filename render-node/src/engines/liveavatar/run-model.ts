import { spawn } from 'node:child_process';
import type { Launch } from './launch-command.js';

export type RunOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'oom'; readonly message: string }
  | { readonly kind: 'hang'; readonly silentSec: number }
  | { readonly kind: 'crashed'; readonly message: string }
  | { readonly kind: 'timeout'; readonly afterSec: number }
  | { readonly kind: 'cancelled' };

export interface RunOptions {
  /** Clips this run renders and processes it starts: progress is tqdm bars / (4 × processes × clips). */
  readonly clips: number;
  readonly processes: number;
  /** No output for this long means a hang (a stuck NCCL rank prints nothing, forever). */
  readonly hangSec: number;
  readonly timeoutSec: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (clipsDone: number, clipsTotal: number) => void;
}

const OOM = /CUDA out of memory|OutOfMemoryError/;
/** A finished tqdm bar over the four denoising steps: " 100%|██████████| 4/4 [...". */
const BAR_DONE = /100%\|[^|]*\|\s*4\/4\b/;

/**
 * Runs the model once and says how it ended. It runs in a process group of its own so that every
 * torchrun rank is killed together: on out-of-memory text, on silence, on timeout or on cancel.
 */
export function runModel(launch: Launch, o: RunOptions): Promise<RunOutcome> {
  // Cancelled while the inputs were prepared: nothing to start (an abort before it is no event).
  if (o.signal?.aborted) return Promise.resolve({ kind: 'cancelled' });
  return new Promise((resolve) => {
    const child = spawn(launch.file, [...launch.args], {
      cwd: launch.cwd,
      env: { ...process.env, ...launch.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    let outcome: RunOutcome | undefined;
    let bars = 0;
    let lastReported = -1;
    const barsPerClip = 4 * o.processes;

    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    let hardKill: NodeJS.Timeout | undefined;
    const stop = (why: RunOutcome): void => {
      if (outcome) return;
      outcome = why;
      killGroup('SIGTERM');
      // A hung rank may ignore SIGTERM.
      hardKill = setTimeout(() => killGroup('SIGKILL'), 3000);
    };

    let silence: NodeJS.Timeout;
    const armHang = (): void => {
      clearTimeout(silence);
      silence = setTimeout(() => stop({ kind: 'hang', silentSec: o.hangSec }), o.hangSec * 1000);
    };
    armHang();
    const deadline = setTimeout(() => stop({ kind: 'timeout', afterSec: o.timeoutSec }), o.timeoutSec * 1000);
    const onAbort = (): void => stop({ kind: 'cancelled' });
    o.signal?.addEventListener('abort', onAbort);

    const onData = (chunk: Buffer): void => {
      armHang();
      for (const line of chunk.toString('utf8').split(/[\r\n]+/)) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 20) tail.shift();
        if (OOM.test(line)) stop({ kind: 'oom', message: line.trim() });
        if (BAR_DONE.test(line)) {
          bars++;
          const clipsDone = Math.min(o.clips, Math.floor(bars / barsPerClip));
          if (clipsDone !== lastReported) {
            lastReported = clipsDone;
            o.onProgress?.(clipsDone, o.clips);
          }
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) =>
      stop({ kind: 'crashed', message: `could not start ${launch.file}: ${e.message}` }),
    );
    child.on('close', (code, signal) => {
      clearTimeout(silence);
      clearTimeout(deadline);
      clearTimeout(hardKill);
      o.signal?.removeEventListener('abort', onAbort);
      killGroup('SIGKILL'); // ranks left behind by a dead launcher
      if (outcome) return resolve(outcome);
      if (code === 0) return resolve({ kind: 'done' });
      const last = tail
        .filter((l) => !BAR_DONE.test(l) && !/\d+%\|/.test(l))
        .slice(-3)
        .join(' / ');
      resolve({ kind: 'crashed', message: `exit ${code ?? signal}: ${last}` });
    });
  });
}
