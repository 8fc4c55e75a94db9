import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/** Chunks sent but not yet processed: bounds memory when a worker falls behind. */
export const MAX_IN_FLIGHT = 8;

/** A chunk buffer holds at least one pipe read of decoded audio (64 KiB), so it fits the next ones. */
const MIN_CHUNK_BYTES = 64 * 1024;

/**
 * A worker's young generation, MB. V8 grows it to 48 MB a thread under a steady stream of short-lived
 * chunks; the analysis runs beside the drawing, so that would add to a render's peak. 2 MB was measured
 * no slower (a 200 s voice: 1.4–1.8 s either way) and keeps ≈ 20 MB off the peak.
 */
const YOUNG_GENERATION_MB = 2;

/**
 * Threads kept loaded after a stream ended well, per script and data, for the next stream: a render
 * node's next render starts without loading the models again (a quarter of a second of both cores at
 * the start of a render, where the first frame waits). A render node runs a few renders at once.
 */
const MAX_IDLE = 2;
let keepLoaded = false;

/**
 * Makes this process keep analysis threads loaded between streams (a render node, whose next render
 * then starts sooner), at the cost of ≈ 25 MB a pair while idle. A one-shot render (`vt render`) ends
 * its threads as soon as its voice is analysed, before the rest of its frames are drawn.
 */
export function keepAnalysisThreadsLoaded(): void {
  keepLoaded = true;
}
/** An idle thread ends after this long unused (its model's memory is given back). */
const IDLE_MS = 60_000;

interface IdleThread {
  readonly worker: Worker;
  readonly spare: ArrayBuffer[];
  /** Drops the thread from the pool if it fails or ends while idle. */
  readonly gone: () => void;
  readonly expiry: NodeJS.Timeout;
}
const idle = new Map<string, IdleThread[]>();

type Message<Part> = { ready?: boolean; ack?: boolean; part?: Part; buffer?: ArrayBuffer; result?: Part };

/**
 * Runs one audio analysis on a worker thread: samples stream in, results come out as they are made.
 * The worker says { ready: true } once loaded, answers each chunk with { ack: true, part, buffer } (what
 * that chunk completed, and the chunk's buffer back) and the end with { result } (the rest), after
 * which it is ready for another stream; it ends its thread on { stop: true }; see the *-worker.js
 * files. `onPart` hears every part in order, with how many samples the worker has taken in so far, so
 * a reader can tell which results are final. In a render node (keepAnalysisThreadsLoaded), a stream
 * that ended well leaves its thread, loaded, for the next one (at most MAX_IDLE a kind, for IDLE_MS;
 * idle threads never keep the process alive).
 * Chunks travel in buffers of this class's own, moved to the worker and back, so a stream of any length
 * makes no garbage on either thread: a worker frees moved-in buffers only when its own small heap fills,
 * and fresh ones piled up there by the tens of MB during a long lesson, on top of the drawing's memory.
 * Analyses run beside each other and beside the decoder, one core each.
 */
export class StreamWorker<Part> {
  private inFlight = 0;
  /** Lengths of the chunks sent and not yet answered, oldest first. */
  private readonly sent: number[] = [];
  /** Chunk buffers the worker has handed back, for the next chunks. */
  private readonly spare: ArrayBuffer[];
  /** Chunk buffers made so far: MAX_IN_FLIGHT at most (chunks of up to 64 KiB), however long the stream. */
  buffersMade = 0;
  /** Whether this stream got a thread that had already loaded its model. */
  readonly reused: boolean;
  private taken = 0;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private exited = false;
  /** The thread went back to the pool: this object has no say over it any more. */
  private released = false;
  private readonly result: Promise<Part>;
  /** Settles once the worker has loaded its model (or failed). */
  private readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly key: string;
  private readonly listeners: {
    message: (m: Message<Part>) => void;
    error: (e: Error) => void;
    exit: () => void;
  };

  constructor(
    script: URL,
    workerData: unknown,
    private readonly onPart: (part: Part, samplesTaken: number) => void = () => {},
  ) {
    this.key = `${script.href}\n${JSON.stringify(workerData)}`;
    const kept = idle.get(this.key)?.pop();
    this.reused = kept !== undefined;
    if (kept) {
      clearTimeout(kept.expiry);
      kept.worker.off('error', kept.gone).off('exit', kept.gone);
    }
    this.worker =
      kept?.worker ??
      new Worker(script, { workerData, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    this.worker.ref();
    this.spare = kept?.spare ?? [];
    let loaded: () => void = () => {};
    this.ready = kept ? Promise.resolve() : new Promise<void>((resolve) => (loaded = resolve));
    let resolveResult: (part: Part) => void = () => {};
    let rejectResult: (e: Error) => void = () => {};
    this.result = new Promise((resolve, reject) => {
      resolveResult = resolve;
      rejectResult = reject;
    });
    const fail = (e: Error): void => {
      loaded();
      this.failure ??= e;
      this.wake?.();
      rejectResult(e);
    };
    this.listeners = {
      message: (m) => {
        if (m.ready) loaded();
        else if (m.ack) {
          this.inFlight--;
          if (m.buffer) this.spare.push(m.buffer);
          this.taken += this.sent.shift() ?? 0;
          if (m.part !== undefined) this.onPart(m.part, this.taken);
          this.wake?.();
        } else if ('result' in m) {
          this.onPart(m.result as Part, this.taken);
          resolveResult(m.result as Part);
        }
      },
      error: fail,
      // Stopped before it answered (closed by us, or crashed): whoever waits must not wait forever.
      exit: () => {
        this.exited = true;
        fail(new Error('The audio analysis worker stopped before finishing.'));
      },
    };
    this.worker.on('message', this.listeners.message);
    this.worker.on('error', this.listeners.error);
    this.worker.on('exit', this.listeners.exit);
    this.result.catch(() => {}); // surfaced by push() or finish()
  }

  /**
   * Sends a copy of a chunk (the caller keeps `samples`); waits only while the worker is MAX_IN_FLIGHT
   * chunks behind.
   */
  async push(samples: Float32Array): Promise<void> {
    while (this.inFlight >= MAX_IN_FLIGHT && !this.failure) await new Promise<void>((r) => (this.wake = r));
    if (this.failure) throw this.failure;
    const chunk = new Float32Array(this.bufferFor(samples.length), 0, samples.length);
    chunk.set(samples);
    this.inFlight++;
    this.sent.push(samples.length);
    this.worker.postMessage({ samples: chunk }, [chunk.buffer]);
  }

  /** A handed-back buffer that holds `length` samples, or a new one. */
  private bufferFor(length: number): ArrayBuffer {
    const bytes = length * Float32Array.BYTES_PER_ELEMENT;
    const i = this.spare.findIndex((b) => b.byteLength >= bytes);
    if (i >= 0) return this.spare.splice(i, 1)[0]!;
    this.buffersMade++;
    return new ArrayBuffer(Math.max(bytes, MIN_CHUNK_BYTES));
  }

  /**
   * Ends the stream; resolves with the last part, once every part was heard and the thread either
   * ended or waits, loaded, for the next stream.
   */
  async finish(): Promise<Part> {
    this.worker.postMessage({ end: true });
    let part: Part;
    try {
      part = await this.result;
    } catch (e) {
      await this.stop();
      throw e;
    }
    if (!this.release()) await this.stop();
    return part;
  }

  /** Stops the worker, whatever it was doing; safe to call more than once, and after finish(). */
  async close(): Promise<void> {
    if (!this.released) await this.stop();
  }

  /** Hands the thread, and its buffers, to the next stream of its kind, if it is to be kept. */
  private release(): boolean {
    const kept = idle.get(this.key) ?? [];
    if (!keepLoaded || kept.length >= MAX_IDLE || this.exited) return false;
    this.released = true;
    this.worker.off('message', this.listeners.message);
    this.worker.off('error', this.listeners.error);
    this.worker.off('exit', this.listeners.exit);
    const thread: IdleThread = {
      worker: this.worker,
      spare: this.spare,
      gone: () => {
        clearTimeout(thread.expiry);
        const list = idle.get(this.key) ?? [];
        const i = list.indexOf(thread);
        if (i >= 0) list.splice(i, 1);
      },
      expiry: setTimeout(() => {
        thread.gone();
        this.worker.postMessage({ stop: true });
      }, IDLE_MS).unref(),
    };
    this.worker.on('error', thread.gone).on('exit', thread.gone);
    this.worker.unref();
    kept.push(thread);
    idle.set(this.key, kept);
    return true;
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
