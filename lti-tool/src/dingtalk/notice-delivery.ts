import { createHash } from 'node:crypto';
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DeliveryError, type LmsNotifier } from '../../../adapters/lms-adapter.js';
import type { NoticeGroup, NoticeOutbox } from './notice-outbox.js';
import type { RecipientBudget } from './recipient-budget.js';
import { retryBackoff } from '../grades/retry-backoff.js';

export const NOTICE_QUEUE = 'dingtalk-notices';

export interface NoticeDeliveryOptions {
  readonly connection: Redis;
  readonly prefix: string;
  readonly outbox: NoticeOutbox;
  readonly notifier: LmsNotifier;
  readonly log: Logger;
  /** Calls to DingTalk a second at most, across every instance (BullMQ's limiter is the queue's). */
  readonly sendsPerSec: number;
  /** Recipients per organisation and minute, shared by every instance. */
  readonly budget: RecipientBudget;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** How often the relay looks for notices without a job, and sends whose outcome is unknown. */
  readonly relaySec: number;
  /** How long after a send its outcome is first asked for. */
  readonly checkAfterMs: number;
}

type SendJob = { kind: 'send' } & NoticeGroup;
type CheckJob = { kind: 'check'; corpId: string; taskId: string };
type NoticeJob = SendJob | CheckJob;

const jobId = (...parts: string[]): string =>
  `dt-${createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32)}`;

/**
 * Sends the outbox's work notices through BullMQ. A send job names a message, never its recipients:
 * it claims up to a send's worth of the people still waiting for that message, so a 1,000-person
 * assignment goes as ten sends of 100, and a job lost with Redis is made again by the relay from
 * PostgreSQL. The worker's limiter keeps sends under DingTalk's rate; when DingTalk answers "too many
 * requests" anyway, the queue pauses for the time it asks and the send is tried again, uncounted.
 * After a send a check job reads DingTalk's result and settles each recipient.
 */
export class NoticeDelivery {
  private readonly queue: Queue<NoticeJob>;
  private readonly worker: Worker<NoticeJob>;
  private readonly workerRedis: Redis;
  private relayTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: NoticeDeliveryOptions) {
    this.queue = new Queue<NoticeJob>(NOTICE_QUEUE, { connection: o.connection, prefix: o.prefix });
    this.queue.on('error', (e) => o.log.debug({ err: e.message }, 'notice queue'));
    this.workerRedis = o.connection.duplicate();
    this.worker = new Worker<NoticeJob>(NOTICE_QUEUE, (job, token) => this.run(job, token), {
      connection: this.workerRedis,
      prefix: o.prefix,
      concurrency: 4,
      // BullMQ counts in fixed windows, and a second of the clock can straddle two: half the rate in
      // each keeps every second, however it falls, within sendsPerSec.
      limiter: { max: Math.max(1, Math.floor(o.sendsPerSec / 2)), duration: 1000 },
      settings: { backoffStrategy: retryBackoff(o.backoffMs, o.maxBackoffMs) },
    });
    this.worker.on('error', (e) => o.log.debug({ err: e.message }, 'notice worker'));
    // More of the message may be waiting (over a send's worth, or added while the job ran).
    this.worker.on('completed', (job) => {
      if (job.data.kind === 'send')
        void o.outbox
          .waiting(job.data)
          .then((more) => (more ? this.enqueue([job.data as SendJob]) : undefined))
          .catch(() => {});
    });
  }

  start(): void {
    const relay = (): void =>
      void this.relay().catch((e: Error) => this.o.log.warn({ err: e.message }, 'notice relay'));
    relay();
    this.relayTimer = setInterval(relay, this.o.relaySec * 1000);
  }

  private async relay(): Promise<void> {
    await this.enqueue(await this.o.outbox.waitingGroups());
    const tasks = await this.o.outbox.unsettledTasks();
    await this.queue.addBulk(tasks.map((t) => this.checkJob(t.corpId, t.taskId, 0)));
  }

  /** Queues sends of these messages (a message already queued keeps its job). */
  async enqueue(groups: readonly NoticeGroup[]): Promise<void> {
    if (!groups.length) return;
    await this.queue.addBulk(
      groups.map((g) => ({
        name: 'send',
        data: { kind: 'send' as const, corpId: g.corpId, messageKey: g.messageKey },
        opts: {
          jobId: jobId('send', g.corpId, g.messageKey),
          attempts: Number.MAX_SAFE_INTEGER,
          backoff: { type: 'custom' },
          removeOnComplete: true,
          removeOnFail: true,
        },
      })),
    );
  }

  private checkJob(corpId: string, taskId: string, delay: number) {
    return {
      name: 'check',
      data: { kind: 'check' as const, corpId, taskId },
      opts: {
        jobId: jobId('check', corpId, taskId),
        delay,
        attempts: 30,
        backoff: { type: 'fixed', delay: this.o.checkAfterMs },
        removeOnComplete: true,
        removeOnFail: true,
      },
    };
  }

  private async run(job: Job<NoticeJob>, token?: string): Promise<void> {
    const d = job.data;
    if (d.kind === 'check') {
      const outcome = await this.o.notifier.outcome(d.corpId, d.taskId);
      if (!outcome) throw new Error('DingTalk is still sending'); // asked again after the backoff
      await this.o.outbox.settle(d.corpId, d.taskId, outcome.undelivered);
      return;
    }
    // The organisation's recipients this minute first: past them DingTalk would drop the notices.
    const grant = await this.o.budget.take(d.corpId, this.o.notifier.maxRecipients);
    if ('waitMs' in grant) {
      this.o.log.info(
        { corpId: d.corpId, waitMs: grant.waitMs },
        'recipients a minute reached: notices wait',
      );
      await job.moveToDelayed(Date.now() + grant.waitMs, token);
      throw new DelayedError();
    }
    const batch = await this.o.outbox.claim(d, grant.granted);
    await this.o.budget.settle(d.corpId, grant, batch?.ids.length ?? 0);
    if (!batch) return;
    let taskId: string;
    try {
      taskId = await this.o.notifier.notify(batch.corpId, batch.userids, batch.notice);
    } catch (e) {
      const err = e instanceof DeliveryError ? e : new DeliveryError((e as Error).message, false);
      if (err.permanent) {
        this.o.log.warn(
          { event: 'notice', corpId: d.corpId, recipients: batch.ids.length, err: err.message },
          'notice refused',
        );
        return this.o.outbox.refused(batch, err.message);
      }
      await this.o.outbox.postponed(batch, err.message);
      if (err.retryAfterMs !== undefined) {
        this.o.log.info({ corpId: d.corpId, waitMs: err.retryAfterMs }, 'DingTalk asked us to slow down');
        await this.worker.rateLimit(err.retryAfterMs);
        throw Worker.RateLimitError();
      }
      throw err;
    }
    await this.o.outbox.sent(batch, taskId);
    this.o.log.info(
      { event: 'notice', corpId: d.corpId, taskId, recipients: batch.ids.length },
      'work notice sent',
    );
    const check = this.checkJob(d.corpId, taskId, this.o.checkAfterMs);
    await this.queue.add(check.name, check.data, check.opts);
  }

  async close(): Promise<void> {
    clearInterval(this.relayTimer);
    await this.worker.close();
    await this.queue.close();
    this.workerRedis.disconnect();
  }
}
