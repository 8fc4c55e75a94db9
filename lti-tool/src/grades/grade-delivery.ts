import { createHash, randomBytes } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DeliveryError, type LmsAdapter } from '../../../adapters/lms-adapter.js';
import type { GradeKey } from '../progress/progress-ingest.js';
import type { GradeOutbox, ResendScope } from './grade-outbox.js';
import { retryBackoff } from './retry-backoff.js';

export const GRADE_QUEUE = 'grades';

export interface GradeDeliveryOptions {
  readonly connection: Redis;
  readonly prefix: string;
  readonly outbox: GradeOutbox;
  readonly lms: LmsAdapter;
  readonly log: Logger;
  /** First retry after this long, doubling up to `maxBackoffMs`. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** How often the relay looks for pending scores that have no job (lost with Redis, a crash). */
  readonly relaySec: number;
  readonly concurrency?: number;
}

/** What the dashboards and admin pages may do with refused scores. */
export interface GradeResender {
  resend(scope: ResendScope, by: string): Promise<number>;
  failedByPlatform(): Promise<Map<string, number>>;
}

/** One job per learner and lesson at a time: its id, whatever characters the LMS's user ids hold. */
const jobIdOf = (k: GradeKey): string =>
  `grade-${createHash('sha256').update(`${k.lessonId}\n${k.userId}`).digest('hex').slice(0, 32)}`;

/**
 * Delivers the outbox's scores through BullMQ. A job names a learner and lesson, never a score: it
 * always posts the newest version in PostgreSQL, so scores that piled up while the LMS was down go
 * as one, the latest. Failures other than a refusal back off exponentially without limit of
 * attempts; a relay re-enqueues pending rows whose job was lost, so nothing in the outbox is
 * forgotten across Redis or tool restarts.
 */
export class GradeDelivery implements GradeResender {
  private readonly queue: Queue<GradeKey>;
  private readonly worker: Worker<GradeKey>;
  private readonly workerRedis: Redis;
  private relayTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: GradeDeliveryOptions) {
    this.queue = new Queue<GradeKey>(GRADE_QUEUE, { connection: o.connection, prefix: o.prefix });
    this.queue.on('error', (e) => o.log.debug({ err: e.message }, 'grade queue'));
    // A worker blocks on its connection: it gets one of its own.
    this.workerRedis = o.connection.duplicate();
    this.worker = new Worker<GradeKey>(GRADE_QUEUE, (job) => this.deliver(job), {
      connection: this.workerRedis,
      prefix: o.prefix,
      concurrency: o.concurrency ?? 8,
      settings: { backoffStrategy: retryBackoff(o.backoffMs, o.maxBackoffMs) },
    });
    this.worker.on('error', (e) => o.log.debug({ err: e.message }, 'grade worker'));
    // A score written while this learner's job was finishing found the job still there (and so was
    // not queued again): look once more after the job is gone. Only then, or jobs would beget jobs.
    this.worker.on(
      'completed',
      (job) =>
        void o.outbox
          .isUnclaimed(job.data)
          .then((waiting) => (waiting ? this.enqueue([job.data]) : undefined))
          .catch(() => {}),
    );
  }

  start(): void {
    const relay = (): void =>
      void this.o.outbox
        .unclaimed()
        .then((keys) => this.enqueue(keys))
        .catch((e: Error) => this.o.log.warn({ err: e.message }, 'grade relay'));
    relay();
    this.relayTimer = setInterval(relay, this.o.relaySec * 1000);
  }

  /** Puts learners' pending scores on the queue (a learner already queued keeps the job they have). */
  async enqueue(keys: readonly GradeKey[]): Promise<void> {
    if (!keys.length) return;
    await this.queue.addBulk(
      keys.map((k) => ({
        name: 'score',
        data: { lessonId: k.lessonId, userId: k.userId },
        opts: {
          jobId: jobIdOf(k),
          attempts: Number.MAX_SAFE_INTEGER,
          backoff: { type: 'custom' },
          removeOnComplete: true,
          removeOnFail: true,
        },
      })),
    );
  }

  /** Sends the refused scores in `scope` again; answers how many went back on the queue. */
  async resend(scope: ResendScope, by: string): Promise<number> {
    const keys = await this.o.outbox.reopen(scope);
    await this.enqueue(keys);
    this.o.log.info({ event: 'grade', ...scope, count: keys.length, by }, 'refused scores resent');
    return keys.length;
  }

  failedByPlatform(): Promise<Map<string, number>> {
    return this.o.outbox.failedByPlatform();
  }

  private async deliver(job: Job<GradeKey>): Promise<void> {
    for (;;) {
      const grade = await this.o.outbox.claim(job.data);
      if (!grade) return; // delivered, refused, or another worker holds it (and will loop to the newest)
      try {
        await this.o.lms.publishScore(grade.target, grade.score);
      } catch (e) {
        const err = e instanceof DeliveryError ? e : new DeliveryError((e as Error).message, false);
        // What the LMS said goes to the log under a reference; the dashboard shows our words and the
        // reference, never the LMS's body.
        const reference = randomBytes(5).toString('hex');
        const reason =
          err.remoteBody === undefined ? err.message : `${err.message} (log reference ${reference})`;
        const logged = { event: 'grade', ...job.data, version: grade.version, err: err.message, reference };
        if (err.permanent) {
          this.o.log.warn({ ...logged, remoteBody: err.remoteBody }, 'score refused');
          if (await this.o.outbox.refused(grade, reason)) continue;
          return;
        }
        this.o.log.info({ ...logged, remoteBody: err.remoteBody }, 'score postponed');
        await this.o.outbox.postponed(grade, reason);
        throw err; // BullMQ retries after the backoff
      }
      this.o.log.info({ event: 'grade', ...job.data, version: grade.version }, 'score delivered');
      if (!(await this.o.outbox.delivered(grade))) return;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.relayTimer);
    await this.worker.close();
    await this.queue.close();
    this.workerRedis.disconnect();
  }
}
