import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RenderNodeConfig } from '../config.js';
import {
  cancelChannel,
  CONTRACT_VERSION,
  parseContract,
  RenderJobSchema,
  renderQueueName,
  type EngineName,
  type RenderJob,
  type RenderResult,
} from '../contract/render-job.js';
import type { LiveAvatarRig } from '../engines/liveavatar/liveavatar-rig.js';
import { isRenderError } from '../contract/render-errors.js';
import { keepAnalysisThreadsLoaded } from '../engines/preview/voice/stream-worker.js';
import type { NodePresence } from './node-presence.js';
import { runRenderJob, type ProgressUpdate } from './run-render-job.js';

export interface RenderWorkerOptions {
  readonly connection: Redis;
  readonly presence: NodePresence;
  readonly config: RenderNodeConfig;
  /** BullMQ key prefix (tests isolate themselves with one). */
  readonly prefix: string;
  /** How this node runs Live Avatar, when it offers the engine. */
  readonly liveavatar?: LiveAvatarRig;
  /** One line per job started and ended (the node's business events). */
  readonly log: Logger;
}

/** The node's BullMQ side: one worker per engine, the cancel subscription, and how it stops. */
export interface RenderWorkers {
  readonly workers: readonly Worker[];
  /**
   * Stops taking jobs; running ones may finish within `graceSec`, after which they are handed back
   * to the queue (their uploaded chunks stay, so the next node resumes after them).
   */
  close(graceSec: number): Promise<void>;
  /** Hands every running job back at once (a second Ctrl-C). */
  handBack(): void;
}

/**
 * The render node's workers: one BullMQ worker per engine this node has, taking jobs only from that
 * engine's queue. A job is validated against the contract and run; bad input fails at once (no
 * retries) with the message the author will see; anything else is retried with the job's backoff.
 * The tool cancels a job by publishing its id; a node that has it aborts it.
 */
export async function startRenderWorkers(o: RenderWorkerOptions): Promise<RenderWorkers> {
  keepAnalysisThreadsLoaded(); // this process renders one lesson after another
  const handingBack = new AbortController();
  const lockMs = Math.round(o.config.VT_JOB_LOCK_SEC * 1000);
  const workers = o.presence.identity.engines.map(
    (engine) =>
      new Worker(
        renderQueueName(engine),
        (job: Job, token?: string, cancelled?: AbortSignal) => {
          const signal = cancelled ? AbortSignal.any([cancelled, handingBack.signal]) : handingBack.signal;
          return processRenderJob(engine, job, token, signal, o, handingBack.signal);
        },
        {
          connection: o.connection,
          prefix: o.prefix,
          // A Live Avatar job takes every GPU of its plan: one at a time.
          concurrency: engine === 'liveavatar' ? 1 : o.presence.identity.concurrency,
          // A long render keeps its lock (renewed every half); a node that dies loses it after lockMs.
          lockDuration: lockMs,
          stalledInterval: lockMs,
          // A lesson survives a few node crashes before it is failed.
          maxStalledCount: 3,
        },
      ),
  );
  const subscriber = o.connection.duplicate();
  await subscriber.subscribe(cancelChannel(o.prefix));
  subscriber.on('message', (_channel: string, jobId: string) => {
    for (const w of workers) w.cancelJob(jobId, 'cancelled by the tool');
  });

  const handBack = (): void => handingBack.abort();
  return {
    workers,
    handBack,
    async close(graceSec) {
      const timer = setTimeout(handBack, graceSec * 1000);
      try {
        await Promise.all(workers.map((w) => w.close()));
      } finally {
        clearTimeout(timer);
        subscriber.disconnect();
      }
    },
  };
}

async function processRenderJob(
  engine: EngineName,
  job: Job,
  token: string | undefined,
  signal: AbortSignal,
  o: RenderWorkerOptions,
  handingBack: AbortSignal,
): Promise<RenderResult> {
  let spec: RenderJob;
  try {
    spec = parseContract(RenderJobSchema, job.data, 'render job');
  } catch (e) {
    throw new UnrecoverableError((e as Error).message);
  }
  if (spec.engine !== engine) throw new UnrecoverableError(`A ${spec.engine} job on the ${engine} queue.`);
  const nodeId = o.presence.identity.nodeId;
  const report = (p: ProgressUpdate): Promise<void> =>
    job
      .updateProgress({
        contract: CONTRACT_VERSION,
        jobId: spec.jobId,
        nodeId,
        at: new Date().toISOString(),
        ...p,
      })
      .catch(() => {}); // progress is best effort: a Redis blip must not fail the render

  o.presence.jobStarted(spec.jobId);
  const ids = { event: 'render-job', jobId: spec.jobId, engine, nodeId, attempt: job.attemptsMade + 1 };
  const started = performance.now();
  const took = (): number => Math.round(performance.now() - started) / 1000;
  o.log.info({ ...ids, state: 'started' }, 'job started');
  try {
    const result = await runRenderJob(spec, {
      config: o.config,
      nodeId,
      signal,
      report,
      liveavatar: o.liveavatar,
    });
    o.log.info({ ...ids, state: 'done', sec: took(), videoSec: result.durationSec }, 'job done');
    return result;
  } catch (e) {
    if (handingBack.aborted && token) {
      o.log.info({ ...ids, state: 'handed-back', sec: took() }, 'job handed back to the queue');
      // Back to the queue at once, without using up an attempt.
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    const code = isRenderError(e) ? e.code : undefined;
    o.log.info({ ...ids, state: 'failed', sec: took(), code, err: (e as Error).message }, 'job failed');
    // The author's message for bad input; BullMQ must not retry what will fail the same way.
    if (isRenderError(e) && e.permanent) throw new UnrecoverableError(`${e.message} [${e.code}]`);
    throw e;
  } finally {
    o.presence.jobEnded(spec.jobId);
  }
}
