import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/** Chunks sent but not yet processed: bounds memory when a worker falls behind. */
const MAX_IN_FLIGHT = 8;

/**
 * Runs one audio analysis on a worker thread: samples stream in, results come out as they are made.
 * The worker says { ready: true } once loaded, answers each chunk with { ack: true, part } (what that
 * chunk completed) and the end with { result } (the rest), and ends its thread on { stop: true }; see
 * the *-worker.js files. `onPart` hears every part in order, with how many samples the worker has
 * taken in so far, so a reader can tell which results are final.
 * Analyses run beside each other and beside the decoder, one core each.
 */
export class StreamWorker<Part> {
  private inFlight = 0;
  /** Lengths of the chunks sent and not yet answered, oldest first. */
  private readonly sent: number[] = [];
  private taken = 0;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private exited = false;
  private readonly result: Promise<Part>;
  /** Settles once the worker has loaded its model (or failed). */
  private readonly ready: Promise<void>;
  private readonly worker: Worker;

  constructor(
    script: URL,
    workerData: unknown,
    private readonly onPart: (part: Part, samplesTaken: number) => void = () => {},
  ) {
    this.worker = new Worker(script, { workerData });
    let loaded: () => void = () => {};
    this.ready = new Promise<void>((resolve) => (loaded = resolve));
    this.result = new Promise((resolve, reject) => {
      this.worker.on('message', (m: { ready?: boolean; ack?: boolean; part?: Part; result?: Part }) => {
        if (m.ready) loaded();
        else if (m.ack) {
          this.inFlight--;
          this.taken += this.sent.shift() ?? 0;
          if (m.part !== undefined) this.onPart(m.part, this.taken);
          this.wake?.();
        } else if ('result' in m) {
          this.onPart(m.result as Part, this.taken);
          resolve(m.result as Part);
        }
      });
      const fail = (e: Error): void => {
        loaded();
        this.failure ??= e;
        this.wake?.();
        reject(e);
      };
      this.worker.on('error', fail);
      // Stopped before it answered (closed by us, or crashed): whoever waits must not wait forever.
      this.worker.on('exit', () => {
        this.exited = true;
        fail(new Error('The audio analysis worker stopped before finishing.'));
      });
    });
    this.result.catch(() => {}); // surfaced by push() or finish()
  }

  /** Sends a chunk; waits only while the worker is MAX_IN_FLIGHT chunks behind. */
  async push(samples: Float32Array<ArrayBuffer>): Promise<void> {
    while (this.inFlight >= MAX_IN_FLIGHT && !this.failure) await new Promise<void>((r) => (this.wake = r));
    if (this.failure) throw this.failure;
    this.inFlight++;
    this.sent.push(samples.length);
    this.worker.postMessage({ samples }, [samples.buffer]);
  }

  /** Ends the stream; resolves with the last part, once every part was heard. */
  async finish(): Promise<Part> {
    this.worker.postMessage({ end: true });
    try {
      return await this.result;
    } finally {
      await this.stop();
    }
  }

  /** Stops the worker, whatever it was doing; safe to call more than once. */
  async close(): Promise<void> {
    await this.stop();
  }

  /**
   * Asks the worker to stop and waits for its thread to end. Never `terminate()` while it works:
   * ending a thread inside onnxruntime's native code (loading a model, or a run in flight) aborts the
   * whole process. The worker drops queued chunks, lets a run in flight finish, and exits.
   */
  private async stop(): Promise<void> {
    await this.ready;
    if (this.exited) return;
    const ended = once(this.worker, 'exit').catch(() => {});
    this.worker.postMessage({ stop: true });
    const late = setTimeout(() => void this.worker.terminate(), 10_000);
    await ended;
    clearTimeout(late);
  }
}
