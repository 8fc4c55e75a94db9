import { DelayedError, Worker, type Job } from 'bullmq';
import { DeliveryError, type LmsNotifier } from '../../../adapters/lms-adapter.js';
import { OutboxWorker, outboxJobId, type OutboxWorkerOptions } from '../jobs/outbox-worker.js';
import type { NoticeGroup, NoticeOutbox } from './notice-outbox.js';
import type { NoticeJob, SendJob } from './notice-jobs.js';
import type { RecipientBudget } from './recipient-budget.js';
import type { ApiUsage } from './api-usage.js';
import { DingTalkError } from '../../../adapters/dingtalk/dingtalk-api.js';

export interface NoticeDeliveryOptions extends Omit<OutboxWorkerOptions, 'concurrency' | 'limiter'> {
  readonly outbox: NoticeOutbox;
  readonly notifier: LmsNotifier;
  /** The organisations' monthly quota: nothing is sent while DingTalk says it is used up. */
  readonly usage: ApiUsage;
  /** Calls to DingTalk a second at most, across every instance (BullMQ's limiter is the queue's). */
  readonly sendsPerSec: number;
  /** Recipients per organisation and minute, shared by every instance. */
  readonly budget: RecipientBudget;
  /** How long after a send its outcome is first asked for. */
  readonly checkAfterMs: number;
}

const jobId = (...parts: string[]): string => outboxJobId('dt', ...parts);

/**
 * Sends the outbox's work notices (the `dingtalk-notices` queue). A send job names a message, never
 * its recipients: it claims up to a send's worth of the people still waiting for that message, so a
 * 1,000-person assignment goes as ten sends of 100, and a job lost with Redis is made again by the
 * relay from PostgreSQL. The worker's limiter keeps sends under DingTalk's rate; when DingTalk answers
 * "too many requests" anyway, the queue pauses for the time it asks and the send is tried again,
 * uncounted. After a send a check job reads DingTalk's result and settles each recipient.
 */
export class NoticeDelivery extends OutboxWorker<'dingtalk-notices'> {
  constructor(private readonly o: NoticeDeliveryOptions) {
    super('dingtalk-notices', {
      ...o,
      concurrency: 4,
      // BullMQ counts in fixed windows, and a second of the clock can straddle two: half the rate in
      // each keeps every second, however it falls, within sendsPerSec.
      limiter: { max: Math.max(1, Math.floor(o.sendsPerSec / 2)), duration: 1000 },
    });
  }

  backlog(): Promise<Record<string, number>> {
    return this.o.outbox.backlog();
  }

  // More of the message may be waiting (over a send's worth, or added while the job ran).
  protected async completed(data: NoticeJob): Promise<void> {
    if (data.kind === 'send' && (await this.o.outbox.waiting(data))) await this.enqueue([data]);
  }

  protected async relay(): Promise<void> {
    await this.enqueue(await this.o.outbox.waitingGroups());
    const expired = await this.o.outbox.expireTasks();
    if (expired)
      this.o.log.warn({ recipients: expired }, 'work notices past DingTalk’s 24 hours: outcome unknown');
    const tasks = await this.o.outbox.unsettledTasks();
    await this.add(tasks.map((t) => this.checkJob(t.corpId, t.taskId, 0)));
  }

  /** Queues sends of these messages (a message already queued keeps its job). */
  async enqueue(groups: readonly NoticeGroup[]): Promise<void> {
    await this.add(
      groups.map((g) => ({
        name: 'send',
        data: { kind: 'send' as const, corpId: g.corpId, messageKey: g.messageKey },
        jobId: jobId('send', g.corpId, g.messageKey),
      })),
    );
  }

  private checkJob(corpId: string, taskId: string, delay: number) {
    return {
      name: 'check',
      data: { kind: 'check' as const, corpId, taskId },
      jobId: jobId('check', corpId, taskId),
      // Each look is a call against the organisation's monthly quota: further apart as a send takes
      // longer (within DingTalk's 24 hours, after which the relay settles it as unknown).
      opts: { delay, attempts: 12, backoff: { type: 'exponential', delay: this.o.checkAfterMs } },
    };
  }

  protected async work(job: Job<NoticeJob>, d: NoticeJob, token?: string): Promise<void> {
    if (d.kind === 'check') {
      const recipients = await this.o.outbox.recipients(d.corpId, d.taskId);
      if (!recipients.length) return; // settled already (another look, or past its 24 hours)
      const outcome = await this.o.notifier.outcome(d.corpId, d.taskId, recipients);
      if (!outcome) throw new Error('DingTalk is still sending'); // asked again after the backoff
      await this.o.outbox.settle(d.corpId, d.taskId, outcome.undelivered);
      return;
    }
    // The month's quota used up (DingTalk said so): the send waits for the next month, alone (the
    // queue goes on for other organisations).
    const { exhaustedUntil } = await this.o.usage.of(d.corpId);
    if (exhaustedUntil) {
      await job.moveToDelayed(exhaustedUntil.getTime(), token);
      throw new DelayedError();
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
    const batch = await this.o.outbox.claim(d satisfies SendJob, grant.granted);
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
      if (err instanceof DingTalkError && err.quotaRenews) {
        const until = err.quotaRenews;
        await this.o.usage.exhausted(d.corpId, until);
        await job.moveToDelayed(until.getTime(), token);
        throw new DelayedError();
      }
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
    await this.add([this.checkJob(d.corpId, taskId, this.o.checkAfterMs)]);
  }
}
