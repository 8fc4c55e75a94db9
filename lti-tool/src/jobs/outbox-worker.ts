import { createHash } from 'node:crypto';
import { UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import type { Logger } from 'pino';
import { ContractError, parseContract } from '../../../render-node/src/contract/render-job.js';
import type { JobRegistry } from './job-registry.js';
import { QUEUES, type PayloadOf, type ToolQueueName } from './queues.js';
import { retryBackoff } from './retry-backoff.js';
import { settledWithin } from '../../../common/within.js';

/**
 * The id of the job for one piece of outbox work (BullMQ keeps one job per id at a time), whatever
 * characters its parts hold: `prefix-` and a digest of the parts.
 */
export const outboxJobId = (prefix: string, ...parts: string[]): string =>
  `${prefix}-${createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32)}`;

/** How long a closing worker waits for Redis before it cuts its connections. */
const CLOSE_GRACE_MS = 5000;

export interface OutboxWorkerOptions {
  readonly registry: JobRegistry;
  readonly log: Logger;
  /** First retry after this long, doubling up to `maxBackoffMs` (±20 % jitter). */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** How often the relay puts work PostgreSQL holds (and Redis may have lost) back on the queue. */
  readonly relaySec: number;
  readonly concurrency: number;
  /** Jobs a `duration` at most, across every instance. */
  readonly limiter?: { readonly max: number; readonly duration: number };
}

/** A job to add: its payload and the id that keeps one job per piece of work. */
export interface OutboxJob<Q extends ToolQueueName> {
  readonly name: string;
  readonly data: PayloadOf<Q>;
  readonly jobId: string;
  readonly opts?: JobsOptions;
}

/**
 * The lifecycle every outbox shares: PostgreSQL holds the work (the outbox, written in the business
 * transaction), BullMQ carries a job naming it, a worker does it, and a relay re-enqueues what has
 * no job (lost with Redis, or a crash). Subclasses say how to do one job (`work`), what the relay
 * finds (`relay`), what to do after a job completes (`completed`: more of the same waiting?) and
 * how big the backlog is. Payloads are checked against the queue's schema where a job is taken; a
 * job that does not parse fails for good instead of being retried.
 */
export abstract class OutboxWorker<Q extends ToolQueueName> {
  protected readonly worker: Worker<PayloadOf<Q>>;
  private readonly workerRedis: Redis;
  private relayTimer: NodeJS.Timeout | undefined;

  protected constructor(
    readonly queueName: Q,
    protected readonly base: OutboxWorkerOptions,
  ) {
    // Registered first: a second handler of the queue is refused before it opens any connection.
    base.registry.handle(queueName, { backlog: () => this.backlog() });
    // A worker blocks on its connection: it gets one of its own.
    this.workerRedis = base.registry.redis.duplicate();
    this.worker = new Worker<PayloadOf<Q>>(queueName, (job, token) => this.take(job, token), {
      connection: this.workerRedis,
      prefix: base.registry.prefix,
      concurrency: base.concurrency,
      ...(base.limiter && { limiter: base.limiter }),
      settings: { backoffStrategy: retryBackoff(base.backoffMs, base.maxBackoffMs) },
    });
    this.worker.on('error', (e) => base.log.debug({ queue: queueName, err: e.message }, 'queue worker'));
    // Only after a job is gone may the same work be queued again (a job id is one job at a time).
    this.worker.on(
      'completed',
      (job) =>
        void this.completed(job.data).catch((e: Error) =>
          base.log.debug({ queue: queueName, err: e.message }, 'after a job'),
        ),
    );
  }

  protected get queue() {
    return this.base.registry.queue(this.queueName);
  }

  start(): void {
    const relay = (): void =>
      void this.relay().catch((e: Error) =>
        this.base.log.warn({ queue: this.queueName, err: e.message }, 'relay'),
      );
    relay();
    this.relayTimer = setInterval(relay, this.base.relaySec * 1000);
  }

  /** Adds jobs; one whose id is queued already keeps the job it has. Retried without limit by default. */
  protected async add(jobs: readonly OutboxJob<Q>[]): Promise<void> {
    if (!jobs.length) return;
    await this.queue.addBulk(
      jobs.map((j) => ({
        name: j.name,
        data: j.data,
        opts: {
          jobId: j.jobId,
          attempts: Number.MAX_SAFE_INTEGER,
          backoff: { type: 'custom' },
          removeOnComplete: true,
          removeOnFail: true,
          ...j.opts,
        },
      })) as Parameters<typeof this.queue.addBulk>[0],
    );
  }

  private async take(job: Job<PayloadOf<Q>>, token?: string): Promise<void> {
    let data: PayloadOf<Q>;
    try {
      const schema: z.ZodType = QUEUES[this.queueName].payload;
      data = parseContract(schema, job.data, `${this.queueName} job`) as PayloadOf<Q>;
    } catch (e) {
      if (e instanceof ContractError) throw new UnrecoverableError(e.message);
      throw e;
    }
    return this.work(job, data, token);
  }

  /** Does one job (throw to retry after the backoff). */
  protected abstract work(job: Job<PayloadOf<Q>>, data: PayloadOf<Q>, token?: string): Promise<void>;
  /** Puts the outbox's work without a job on the queue. */
  protected abstract relay(): Promise<void>;
  /** After a job completed: queue it again if more of its work is waiting. */
  protected abstract completed(data: PayloadOf<Q>): Promise<void>;
  /** The outbox's rows by status. */
  abstract backlog(): Promise<Record<string, number>>;

  /**
   * Lets the job in hand finish, then closes. A close always ends: if Redis does not answer within
   * the grace (its blocking read never returns), the worker's connections are cut.
   *
   * With Redis away, BullMQ's graceful close waits for an 'end' event that a reconnecting client
   * never emits, and its lock and stall timers then run on (bullmq#4656). No job in hand can finish
   * without Redis anyway, and the outbox in PostgreSQL still holds its work, so close at once.
   * Says whether BullMQ closed the worker in full (false: it had to be cut).
   */
  async close(): Promise<boolean> {
    clearInterval(this.relayTimer);
    const redisAway = this.workerRedis.status !== 'ready';
    const closed = await settledWithin(this.worker.close(redisAway), CLOSE_GRACE_MS);
    if (!closed) {
      this.base.log.warn({ queue: this.queueName }, 'queue worker cut: Redis did not let it close');
      await settledWithin(this.worker.disconnect(), CLOSE_GRACE_MS);
    }
    this.workerRedis.disconnect();
    return closed;
  }
}
