/**
 * Reading what Live Avatar prints, line by line (a tqdm update ends in "\r", so split on both). The
 * patterns are the real tools' text, recorded on an H200 (tests/fixtures/gpu-h200) and listed in
 * shared/docs/liveavatar.md: what a wrapper must count, what means out of memory, and the log lines
 * that open the long silent stages.
 */

/** Where a run is; the silent ones print nothing for minutes and get their own hang budgets. */
export type ModelStage = 'loading' | 'compiling' | 'denoising' | 'decoding' | 'saving';

export type ModelLine =
  /** A denoising bar opened. Bars are counted by their start: tqdm prints the final 100% twice. */
  | { readonly kind: 'bar-start'; readonly steps: number }
  | { readonly kind: 'bar-step'; readonly step: number }
  | { readonly kind: 'oom'; readonly where: 'gpu' | 'host'; readonly message: string }
  | { readonly kind: 'stage'; readonly stage: ModelStage }
  | { readonly kind: 'text' };

/**
 * A denoising bar has no description: "  0%|          | 0/4 [00:00<?, ?it/s]". Loader bars do
 * ("Loading checkpoint shards: …", "Loading weights: …") and are not clips. Any step count is accepted.
 */
const BAR = /^\s*(\d{1,3})%\|[^|]*\|\s*(\d+)\/(\d+)\b/;

/**
 * Every way CUDA memory runs out that the stack prints: torch's allocator (2.8–2.11 text), a raw CUDA
 * call, cuBLAS creating its handle, NCCL's own allocations. Not Inductor's autotuning "OutOfMemoryError:
 * out of resource: triton_mm" (shared memory of one kernel choice; it picks another and goes on).
 */
const GPU_OOM = [
  /torch\.OutOfMemoryError: CUDA out of memory/,
  /CUDA out of memory\. Tried to allocate/,
  /CUDA error: out of memory/,
  /CUBLAS_STATUS_ALLOC_FAILED/,
  /Cuda failure\b.*out of memory/i,
];
/** torchrun's summary when the host's OOM killer took a rank: no text from the rank itself. */
const HOST_KILLED = [/exitcode\s*:\s*-9\b/, /Signal 9 \(SIGKILL\) received by PID/];

const STAGES: ReadonlyArray<readonly [RegExp, ModelStage]> = [
  // Single GPU, offline: every clip but the first is decoded after the loop, silently.
  [/complete full-sequence generation|loading VAE to cuda for final decode/, 'decoding'],
  [/denoising video done|Saving generated video to|Start merging video and audio/, 'saving'],
];

export function readModelLine(line: string): ModelLine {
  const bar = BAR.exec(line);
  if (bar) {
    const step = Number(bar[2]);
    return step === 0 ? { kind: 'bar-start', steps: Number(bar[3]) } : { kind: 'bar-step', step };
  }
  if (GPU_OOM.some((p) => p.test(line))) return { kind: 'oom', where: 'gpu', message: line.trim() };
  if (HOST_KILLED.some((p) => p.test(line))) return { kind: 'oom', where: 'host', message: line.trim() };
  for (const [pattern, stage] of STAGES) if (pattern.test(line)) return { kind: 'stage', stage };
  return { kind: 'text' };
}

/** Splits a chunk of output into lines, tqdm's carriage-return updates included. */
export const linesOf = (chunk: string): string[] => chunk.split(/[\r\n]+/).filter((l) => l.trim() !== '');
