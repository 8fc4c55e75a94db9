import { Worker } from 'node:worker_threads';

/** Chunks sent but not yet processed: bounds memory when a worker falls behind. */
const MAX_IN_FLIGHT = 8;

/**
 * Runs one audio analysis on a worker thread: samples stream in, one result comes out. The worker
 * says { ready: true } once loaded, answers each chunk with { ack: true } and the end with { result };
 * see the *-worker.js files.
 * Analyses run beside each other and beside the decoder, one core each.
 */
export class StreamWorker<Result> {
  private inFlight = 0;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private readonly result: Promise<Result>;
  /** Settles once the worker has loaded its model (or failed). */
  private readonly ready: Promise<void>;
  private readonly worker: Worker;

  constructor(script: URL, workerData: unknown) {
    this.worker = new Worker(script, { workerData });
    let loaded: () => void = () => {};
    this.ready = new Promise<void>((resolve) => (loaded = resolve));
    this.result = new Promise((resolve, reject) => {
      this.worker.on('message', (m: { ready?: boolean; ack?: boolean; result?: Result }) => {
        if (m.ready) loaded();
        else if (m.ack) {
          this.inFlight--;
          this.wake?.();
        } else if ('result' in m) resolve(m.result as Result);
      });
      const fail = (e: Error): void => {
        loaded();
        this.failure ??= e;
        this.wake?.();
        reject(e);
      };
      this.worker.on('error', fail);
      // Stopped before it answered (closed by us, or crashed): whoever waits must not wait forever.
      this.worker.on('exit', () => fail(new Error('The audio analysis worker stopped before finishing.')));
    });
    this.result.catch(() => {}); // surfaced by push() or finish()
  }

  /** Sends a chunk; waits only while the worker is MAX_IN_FLIGHT chunks behind. */
  async push(samples: Float32Array<ArrayBuffer>): Promise<void> {
    while (this.inFlight >= MAX_IN_FLIGHT && !this.failure) await new Promise<void>((r) => (this.wake = r));
    if (this.failure) throw this.failure;
    this.inFlight++;
    this.worker.postMessage({ samples }, [samples.buffer]);
  }

  async finish(): Promise<Result> {
    this.worker.postMessage({ end: true });
    try {
      return await this.result;
    } finally {
      await this.worker.terminate();
    }
  }

  /**
   * Stops the worker. Not while it loads: terminating a thread inside onnxruntime's native set-up
   * aborts the whole process.
   */
  async close(): Promise<void> {
    await this.ready;
    await this.worker.terminate();
  }
}
