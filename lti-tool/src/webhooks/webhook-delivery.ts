import type { Job } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import type { HttpFetch } from '../../../adapters/http-fetch.js';
import { OutboxWorker, outboxJobId, type OutboxWorkerOptions } from '../jobs/outbox-worker.js';
import type { WebhookEndpoints } from './webhook-endpoints.js';
import type { WebhookJob } from './webhook-job.js';
import type { DeliveryKey, WebhookOutbox } from './webhook-outbox.js';

export interface WebhookDeliveryOptions extends Omit<OutboxWorkerOptions, 'concurrency'> {
  readonly outbox: WebhookOutbox;
  readonly endpoints: WebhookEndpoints;
  /** The tool's guarded client: no private address unless the tool allows them. */
  readonly http: HttpFetch;
  /** Attempts of one delivery before it is failed (resendable from the admin page or the API). */
  readonly attempts: number;
  readonly concurrency?: number;
}

/** How long an event and its deliveries are kept (and can be resent). */
export const RETENTION_DAYS = 30;

/** One job per delivery at a time. */
const jobIdOf = (k: DeliveryKey): string => outboxJobId('wh', k.messageId, k.endpointId);

/** What of a receiver's answer is kept: its status and a line of its body, never more. */
const excerpt = (text: string): string => text.replace(/\s+/g, ' ').trim().slice(0, 200);

/**
 * Sends the webhook outbox's deliveries (the `webhooks` queue) as the Standard Webhooks specification
 * says: the stored body, with `webhook-id` (the message's, the same on every attempt),
 * `webhook-timestamp` and `webhook-signature` (HMAC-SHA256 with the endpoint's secret, by the
 * `standardwebhooks` library). A 2xx answer delivers it; anything else is retried with backoff until
 * the attempts are spent, then the delivery is failed and can be resent. Each outcome goes to the
 * endpoint's failure streak, which turns a long-failing endpoint off.
 */
export class WebhookDelivery extends OutboxWorker<'webhooks'> {
  constructor(private readonly o: WebhookDeliveryOptions) {
    super('webhooks', { ...o, concurrency: o.concurrency ?? 8 });
  }

  /** Queues deliveries (one already queued keeps its job). */
  async enqueue(keys: readonly DeliveryKey[]): Promise<void> {
    await this.add(
      keys.map((k) => ({
        name: 'deliver',
        data: { messageId: k.messageId, endpointId: k.endpointId },
        jobId: jobIdOf(k),
        opts: { attempts: this.o.attempts },
      })),
    );
  }

  /** Sends a finished delivery again (a tenant's own, when named); false when there is none such. */
  async resend(k: DeliveryKey, by: string, tenantId?: string): Promise<boolean> {
    if (!(await this.o.outbox.resend(k, tenantId))) return false;
    await this.enqueue([k]);
    this.o.log.info({ event: 'webhook', ...k, by }, 'webhook delivery resent');
    return true;
  }

  backlog(): Promise<Record<string, number>> {
    return this.o.outbox.backlog();
  }

  protected async relay(): Promise<void> {
    await this.enqueue(await this.o.outbox.pending());
    const pruned = await this.o.outbox.prune(RETENTION_DAYS);
    if (pruned)
      this.o.log.info({ event: 'webhook', pruned }, 'webhook events past their retention forgotten');
  }

  // Resent while its last job was finishing: the resend found that job and queued nothing.
  protected async completed(k: WebhookJob): Promise<void> {
    if ((await this.o.outbox.work(k))?.status === 'pending') await this.enqueue([k]);
  }

  protected async work(job: Job<WebhookJob>, k: WebhookJob): Promise<void> {
    const w = await this.o.outbox.work(k);
    if (!w || w.status !== 'pending') return; // delivered, failed, or its endpoint deleted
    const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (!w.enabled) {
      await this.o.outbox.attempted(k, {
        delivered: false,
        error: 'the endpoint is turned off',
        final: true,
      });
      return;
    }
    const sentAt = new Date();
    let status: number | undefined;
    let error: string | undefined;
    try {
      const res = await this.o.http(w.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'VirtualTutor-Webhooks/1',
          'webhook-id': k.messageId,
          'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
          'webhook-signature': new Webhook(w.secret).sign(k.messageId, sentAt, w.body),
        },
        body: w.body,
      });
      status = res.status;
      if (!res.ok) {
        const said = excerpt(await res.text());
        error = `answered ${res.status}${said ? `: ${said}` : ''}`;
      }
    } catch (e) {
      error = (e as Error).message;
    }
    const logged = { event: 'webhook', ...k, url: w.url, attempt: job.attemptsMade + 1, status };
    if (!error) {
      await this.o.outbox.attempted(k, { delivered: true, status, final: true });
      await this.o.endpoints.succeeded(k.endpointId);
      this.o.log.info(logged, 'webhook delivered');
      return;
    }
    await this.o.outbox.attempted(k, { delivered: false, status, error, final });
    if (await this.o.endpoints.failed(k.endpointId))
      this.o.log.warn({ ...logged, err: error }, 'webhook endpoint turned off after failing for long');
    this.o.log.info(
      { ...logged, err: error, final },
      final ? 'webhook delivery failed' : 'webhook delivery postponed',
    );
    if (!final) throw new Error(error); // BullMQ tries again after the backoff
  }
}
