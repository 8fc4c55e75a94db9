import type { Logger } from 'pino';
import type { Queryable } from '../db/database.js';
import type { WebhookEvent } from './webhook-event-types.js';
import type { WebhookDelivery } from './webhook-delivery.js';
import type { WebhookOutbox } from './webhook-outbox.js';

/** Call once the transaction the events were added in has committed. */
export type AfterCommit = () => void;

/**
 * How business code reports what happened (a render finished, a lesson published, a learner
 * completed): in its own transaction, so an event exists exactly when what it reports does; its
 * deliveries are queued after the commit (and by the relay, should that be lost).
 */
export interface EventSink {
  add(c: Queryable, events: readonly WebhookEvent[]): Promise<AfterCommit>;
}

/** For code run without webhooks (some unit tests): events go nowhere. */
export const NO_EVENTS: EventSink = { add: async () => () => {} };

/** The tool's event sink: the webhook outbox, then the delivery queue. */
export class WebhookEvents implements EventSink {
  constructor(
    private readonly outbox: WebhookOutbox,
    private readonly delivery: WebhookDelivery,
    private readonly log: Logger,
  ) {}

  async add(c: Queryable, events: readonly WebhookEvent[]): Promise<AfterCommit> {
    const keys = await this.outbox.add(c, events);
    return () => {
      if (keys.length)
        void this.delivery
          .enqueue(keys)
          .catch((e: Error) => this.log.warn({ err: e.message }, 'webhooks not queued yet (the relay will)'));
    };
  }
}

/** A learner's completion as an event (once per learner and lesson). */
export const learnerCompleted = (
  who: { tenantId: string; contextId?: string | null; userId: string },
  lessonId: string,
  grade: number,
  at: Date,
): WebhookEvent<'learner.completed'> => ({
  tenantId: who.tenantId,
  type: 'learner.completed',
  key: `${lessonId}\n${who.userId}`,
  data: {
    lessonId,
    userId: who.userId,
    courseId: who.contextId ?? null,
    scorePercent: Math.max(0, Math.min(100, Math.floor(grade * 100))),
    completedAt: at.toISOString(),
  },
});
