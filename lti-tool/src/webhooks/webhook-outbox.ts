import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/database.js';
import { webhookBody, type WebhookEvent, type WebhookEventType } from './webhook-event-types.js';

/** One message to one endpoint: what a delivery job names. */
export interface DeliveryKey {
  readonly messageId: string;
  readonly endpointId: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** A delivery as the admin page and the API show it. */
export interface Delivery extends DeliveryKey {
  readonly tenantId: string;
  readonly eventType: WebhookEventType;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly lastAttemptAt: Date | null;
  readonly deliveredAt: Date | null;
  readonly createdAt: Date;
}

/** What a delivery job needs to make its attempt. */
export interface DeliveryWork {
  readonly status: DeliveryStatus;
  readonly body: string;
  readonly url: string;
  readonly secret: string;
  readonly enabled: boolean;
}

const toDelivery = (r: Record<string, unknown>): Delivery => ({
  messageId: r.message_id as string,
  endpointId: r.endpoint_id as string,
  tenantId: r.tenant_id as string,
  eventType: r.event_type as WebhookEventType,
  status: r.status as DeliveryStatus,
  attempts: r.attempts as number,
  lastStatus: r.last_status as number | null,
  lastError: r.last_error as string | null,
  lastAttemptAt: r.last_attempt_at as Date | null,
  deliveredAt: r.delivered_at as Date | null,
  createdAt: r.created_at as Date,
});

/**
 * The webhook outbox (the one writer of `webhook_messages` and `webhook_deliveries`). Events are added
 * in the transaction of what they report, each with a delivery to every enabled endpoint of the
 * tenant that wants its type; an event nobody wants is not kept, and one already added (the same
 * `key`) adds nothing. Each delivery is pending until an attempt succeeds or the attempts run out.
 */
export class WebhookOutbox {
  constructor(private readonly db: Db) {}

  /** Adds events in the caller's transaction; answers the deliveries to queue once it commits. */
  async add(c: Queryable, events: readonly WebhookEvent[]): Promise<DeliveryKey[]> {
    if (!events.length) return [];
    const now = new Date();
    const { rows } = await c.query<{ message_id: string; endpoint_id: string }>(
      `WITH wanted AS (
         SELECT x.* FROM jsonb_to_recordset($1::jsonb)
           AS x(id text, tenant_id text, event_type text, dedupe_key text, payload jsonb)
         WHERE EXISTS (SELECT 1 FROM webhook_endpoints e
                       WHERE e.tenant_id = x.tenant_id AND e.enabled AND x.event_type = ANY(e.event_types))
       ), m AS (
         INSERT INTO webhook_messages (id, tenant_id, event_type, dedupe_key, payload)
         SELECT * FROM wanted ON CONFLICT (dedupe_key) DO NOTHING
         RETURNING id, tenant_id, event_type
       )
       INSERT INTO webhook_deliveries (message_id, endpoint_id)
       SELECT m.id, e.id FROM m
       JOIN webhook_endpoints e ON e.tenant_id = m.tenant_id AND e.enabled AND m.event_type = ANY(e.event_types)
       RETURNING message_id, endpoint_id`,
      [
        JSON.stringify(
          events.map((e) => ({
            id: `msg_${randomUUID().replace(/-/g, '')}`,
            tenant_id: e.tenantId,
            event_type: e.type,
            dedupe_key: `${e.type}:${e.key}`,
            payload: webhookBody(e.type, now, e.data),
          })),
        ),
      ],
    );
    return rows.map((r) => ({ messageId: r.message_id, endpointId: r.endpoint_id }));
  }

  /** A delivery's message, endpoint and standing. The body is sent as stored: the same bytes every attempt. */
  async work(k: DeliveryKey): Promise<DeliveryWork | undefined> {
    const { rows } = await this.db.query<{
      status: DeliveryStatus;
      body: string;
      url: string;
      secret: string;
      enabled: boolean;
    }>(
      `SELECT d.status, m.payload::text AS body, e.url, e.secret, e.enabled
       FROM webhook_deliveries d
       JOIN webhook_messages m ON m.id = d.message_id
       JOIN webhook_endpoints e ON e.id = d.endpoint_id
       WHERE d.message_id = $1 AND d.endpoint_id = $2`,
      [k.messageId, k.endpointId],
    );
    return rows[0];
  }

  /**
   * Records an attempt: delivered, or failed (for good when `final`, else still pending). Only a
   * pending delivery changes, so an attempt that raced a resend or another attempt does not count twice.
   */
  async attempted(
    k: DeliveryKey,
    o: { delivered: boolean; status?: number; error?: string; final: boolean },
  ): Promise<void> {
    await this.db.query(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $3, last_error = $4,
         last_attempt_at = now(),
         status = CASE WHEN $5 THEN 'delivered' WHEN $6 THEN 'failed' ELSE 'pending' END,
         delivered_at = CASE WHEN $5 THEN now() END
       WHERE message_id = $1 AND endpoint_id = $2 AND status = 'pending'`,
      [k.messageId, k.endpointId, o.status ?? null, o.error ?? null, o.delivered, o.final],
    );
  }

  /** Pending deliveries, oldest first (for the relay). */
  async pending(limit = 1000): Promise<DeliveryKey[]> {
    const { rows } = await this.db.query<{ message_id: string; endpoint_id: string }>(
      `SELECT message_id, endpoint_id FROM webhook_deliveries WHERE status = 'pending'
       ORDER BY created_at LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ messageId: r.message_id, endpointId: r.endpoint_id }));
  }

  /** Recent deliveries, newest first: a tenant's (or every tenant's), of one endpoint when named. */
  async list(o: { tenantId?: string; endpointId?: string; limit?: number }): Promise<Delivery[]> {
    const { rows } = await this.db.query(
      `SELECT d.*, m.tenant_id, m.event_type FROM webhook_deliveries d
       JOIN webhook_messages m ON m.id = d.message_id
       WHERE ($1::text IS NULL OR m.tenant_id = $1) AND ($2::text IS NULL OR d.endpoint_id = $2)
       ORDER BY d.created_at DESC, d.message_id LIMIT $3`,
      [o.tenantId ?? null, o.endpointId ?? null, o.limit ?? 100],
    );
    return rows.map(toDelivery);
  }

  /** Makes a finished delivery pending again (a tenant's own, when `tenantId` is given). */
  async resend(k: DeliveryKey, tenantId?: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE webhook_deliveries d SET status = 'pending', delivered_at = NULL
       FROM webhook_messages m
       WHERE d.message_id = $1 AND d.endpoint_id = $2 AND m.id = d.message_id
         AND ($3::text IS NULL OR m.tenant_id = $3) AND d.status <> 'pending'`,
      [k.messageId, k.endpointId, tenantId ?? null],
    );
    return rowCount === 1;
  }

  /**
   * Forgets events older than `days` once none of their deliveries is pending (receivers had their
   * chance, and resending a month-old event would surprise them more than help); answers how many.
   */
  async prune(days: number): Promise<number> {
    const { rowCount } = await this.db.query(
      `DELETE FROM webhook_messages m WHERE m.created_at < now() - make_interval(days => $1)
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.message_id = m.id AND d.status = 'pending')`,
      [days],
    );
    return rowCount ?? 0;
  }

  async backlog(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ status: string; n: string }>(
      'SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status',
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }
}
