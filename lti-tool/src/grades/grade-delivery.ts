import { randomBytes } from 'node:crypto';
import type { Job } from 'bullmq';
import { DeliveryError, type LmsAdapter } from '../../../adapters/lms-adapter.js';
import { OutboxWorker, outboxJobId, type OutboxWorkerOptions } from '../jobs/outbox-worker.js';
import type { GradeOutbox, ResendScope } from './grade-outbox.js';
import type { GradeKey } from './grade-key.js';

export interface GradeDeliveryOptions extends Omit<OutboxWorkerOptions, 'concurrency'> {
  readonly outbox: GradeOutbox;
  readonly lms: LmsAdapter;
  readonly concurrency?: number;
}

/** What the dashboards and admin pages may do with refused scores. */
export interface GradeResender {
  resend(scope: ResendScope, by: string): Promise<number>;
  failedByPlatform(): Promise<Map<string, number>>;
}

/** One job per learner and lesson at a time. */
const jobIdOf = (k: GradeKey): string => outboxJobId('grade', k.lessonId, k.userId);

/**
 * Delivers the outbox's scores (the `grades` queue). A job names a learner and lesson, never a score:
 * it always posts the newest version in PostgreSQL, so scores that piled up while the LMS was down go
 * as one, the latest. Failures other than a refusal back off exponentially without limit of
 * attempts; the relay re-enqueues pending rows whose job was lost, so nothing in the outbox is
 * forgotten across Redis or tool restarts.
 */
export class GradeDelivery extends OutboxWorker<'grades'> implements GradeResender {
  constructor(private readonly o: GradeDeliveryOptions) {
    super('grades', { ...o, concurrency: o.concurrency ?? 8 });
  }

  /** Puts learners' pending scores on the queue (a learner already queued keeps the job they have). */
  async enqueue(keys: readonly GradeKey[]): Promise<void> {
    await this.add(
      keys.map((k) => ({
        name: 'score',
        data: { lessonId: k.lessonId, userId: k.userId },
        jobId: jobIdOf(k),
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

  backlog(): Promise<Record<string, number>> {
    return this.o.outbox.backlog();
  }

  protected async relay(): Promise<void> {
    await this.enqueue(await this.o.outbox.unclaimed());
  }

  // A score written while this learner's job was finishing found the job still there (and so was not
  // queued again): look once more after the job is gone. Only then, or jobs would beget jobs.
  protected async completed(key: GradeKey): Promise<void> {
    if (await this.o.outbox.isUnclaimed(key)) await this.enqueue([key]);
  }

  protected async work(_job: Job<GradeKey>, key: GradeKey): Promise<void> {
    for (;;) {
      const grade = await this.o.outbox.claim(key);
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
        const logged = { event: 'grade', ...key, version: grade.version, err: err.message, reference };
        if (err.permanent) {
          this.o.log.warn({ ...logged, remoteBody: err.remoteBody }, 'score refused');
          if (await this.o.outbox.refused(grade, reason)) continue;
          return;
        }
        this.o.log.info({ ...logged, remoteBody: err.remoteBody }, 'score postponed');
        await this.o.outbox.postponed(grade, reason);
        throw err; // BullMQ retries after the backoff
      }
      this.o.log.info({ event: 'grade', ...key, version: grade.version }, 'score delivered');
      if (!(await this.o.outbox.delivered(grade))) return;
    }
  }
}
