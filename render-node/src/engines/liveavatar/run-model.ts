import { spawn } from 'node:child_process';
import type { Launch } from './launch-command.js';
import { linesOf, readModelLine, type ModelStage } from './model-output.js';
import { silenceBudgetSec, stageSeconds, type ModelTimings } from './model-timings.js';

export type RunOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'oom'; readonly where: 'gpu' | 'host'; readonly message: string }
  | { readonly kind: 'hang'; readonly stage: ModelStage; readonly silentSec: number }
  | { readonly kind: 'crashed'; readonly message: string }
  | { readonly kind: 'timeout'; readonly afterSec: number }
  | { readonly kind: 'cancelled' };

export interface RunProgress {
  readonly stage: ModelStage;
  readonly clipsDone: number;
  readonly clipsTotal: number;
  /** What the stage is expected to take (from the node's measured timings), for an estimate. */
  readonly stageSec: number;
}

export interface RunOptions {
  /** Clips this run renders and processes it starts: every process draws 4 bars (blocks) a clip. */
  readonly clips: number;
  readonly processes: number;
  /** With FP8 the first forward pass compiles (silently, for minutes) whatever ENABLE_COMPILE says. */
  readonly compiles: boolean;
  /** Longest silence between two bars while denoising (a stuck NCCL rank prints nothing, forever). */
  readonly hangSec: number;
  readonly timings: ModelTimings;
  readonly timeoutSec: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: RunProgress) => void;
}

const BLOCKS_PER_CLIP = 4;

/**
 * Runs the model once and says how it ended. It runs in a process group of its own so that every
 * torchrun rank is killed together: on out-of-memory text, on silence longer than the stage allows,
 * on timeout or on cancel.
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
    let stage: ModelStage = 'loading';
    let barsStarted = 0;
    let clipsDone = 0;
    const barsPerClip = BLOCKS_PER_CLIP * o.processes;
    const budget = { clips: o.clips, hangSec: o.hangSec, timings: o.timings };

    const report = (): void =>
      o.onProgress?.({ stage, clipsDone, clipsTotal: o.clips, stageSec: stageSeconds(stage, budget) });
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

    let silence: NodeJS.Timeout | undefined;
    const armHang = (): void => {
      clearTimeout(silence);
      const allowed = silenceBudgetSec(stage, budget);
      silence = setTimeout(() => stop({ kind: 'hang', stage, silentSec: allowed }), allowed * 1000);
    };
    const enter = (next: ModelStage): void => {
      if (next === stage) return;
      stage = next;
      if (next === 'decoding' || next === 'saving') clipsDone = o.clips;
      report();
    };
    report();
    armHang();
    const deadline = setTimeout(() => stop({ kind: 'timeout', afterSec: o.timeoutSec }), o.timeoutSec * 1000);
    const onAbort = (): void => stop({ kind: 'cancelled' });
    o.signal?.addEventListener('abort', onAbort);

    const onData = (chunk: Buffer): void => {
      for (const text of linesOf(chunk.toString('utf8'))) {
        tail.push(text);
        if (tail.length > 20) tail.shift();
        const line = readModelLine(text);
        if (line.kind === 'oom') stop({ kind: 'oom', where: line.where, message: line.message });
        else if (line.kind === 'stage') enter(line.stage);
        else if (line.kind === 'bar-start') {
          barsStarted++;
          // The first bar's first step is where FP8 compiles.
          if (barsStarted === 1) enter(o.compiles ? 'compiling' : 'denoising');
          // A clip is done when every process has opened the next clip's first bar.
          const done = Math.min(o.clips, Math.floor(Math.max(0, barsStarted - o.processes) / barsPerClip));
          if (done !== clipsDone) {
            clipsDone = done;
            report();
          }
        } else if (line.kind === 'bar-step' && stage === 'compiling') enter('denoising');
      }
      armHang(); // after the stage changes: the budget is the stage's own
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
      // The launcher itself taken by the OOM killer leaves no summary at all.
      if (signal === 'SIGKILL')
        return resolve({ kind: 'oom', where: 'host', message: 'killed by SIGKILL (host out of memory?)' });
      const last = tail
        .filter((l) => readModelLine(l).kind === 'text')
        .slice(-3)
        .join(' / ');
      resolve({ kind: 'crashed', message: `exit ${code ?? signal}: ${last}` });
    });
  });
}
