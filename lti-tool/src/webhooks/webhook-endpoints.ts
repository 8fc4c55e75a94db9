import { randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../db/database.js';
import type { WebhookEventType } from './webhook-event-types.js';

export interface WebhookEndpoint {
  readonly id: string;
  readonly tenantId: string;
  readonly url: string;
  readonly description: string;
  readonly eventTypes: WebhookEventType[];
  readonly enabled: boolean;
  /**
   * Why it is off: the tenant turned it off, or the tool did after a failure streak (`failures` and
   * `failingSince` still tell how long).
   */
  readonly disabledReason: DisabledReason | null;
  readonly failures: number;
  readonly failingSince: Date | null;
  readonly createdAt: Date;
}

/** The signing secret too: for the tenant who registered it (and the delivery that signs with it). */
export interface WebhookEndpointWithSecret extends WebhookEndpoint {
  readonly secret: string;
}

export type DisabledReason = 'tenant' | 'failing';

export interface EndpointChange {
  readonly url?: string;
  readonly description?: string;
  readonly eventTypes?: readonly WebhookEventType[];
  readonly enabled?: boolean;
}

/** When a failing endpoint is turned off: this many failed attempts in a row, over at least this long. */
export interface DisablePolicy {
  readonly afterFailures: number;
  readonly afterSec: number;
}

const COLUMNS = `id, tenant_id, url, description, event_types, enabled, disabled_reason, failures, failing_since,
  created_at, secret`;
const toEndpoint = (r: Record<string, unknown>): WebhookEndpointWithSecret => ({
  id: r.id as string,
  tenantId: r.tenant_id as string,
  url: r.url as string,
  description: r.description as string,
  eventTypes: r.event_types as WebhookEventType[],
  enabled: r.enabled as boolean,
  disabledReason: r.disabled_reason as DisabledReason | null,
  failures: r.failures as number,
  failingSince: r.failing_since as Date | null,
  createdAt: r.created_at as Date,
  secret: r.secret as string,
});
export const withoutSecret = ({ secret: _, ...e }: WebhookEndpointWithSecret): WebhookEndpoint => e;

/** A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64. */
const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * The tenants' webhook endpoints (the one writer of `webhook_endpoints`). Every read and write names
 * the tenant, so one tenant's endpoint is another's "not found". Deliveries report each attempt's
 * outcome here: a success ends the failure streak, a failure lengthens it, and a streak past the
 * policy turns the endpoint off with the reason for the admin page.
 */
export class WebhookEndpoints {
  constructor(
    private readonly db: Db,
    private readonly policy: DisablePolicy,
  ) {}

  async create(
    tenantId: string,
    e: { url: string; description?: string; eventTypes: readonly WebhookEventType[] },
  ): Promise<WebhookEndpointWithSecret> {
    const { rows } = await this.db.query(
      `INSERT INTO webhook_endpoints (id, tenant_id, url, description, event_types, secret)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [randomUUID(), tenantId, e.url, e.description ?? '', [...new Set(e.eventTypes)], newSecret()],
    );
    return toEndpoint(rows[0]!);
  }

  async get(tenantId: string, id: string): Promise<WebhookEndpointWithSecret | undefined> {
    const { rows } = await this.db.query(
      `SELECT ${COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return rows[0] && toEndpoint(rows[0]);
  }

  /** An endpoint of any tenant (the tool admin's page). */
  async byId(id: string): Promise<WebhookEndpoint | undefined> {
    const { rows } = await this.db.query(`SELECT ${COLUMNS} FROM webhook_endpoints WHERE id = $1`, [id]);
    return rows[0] && withoutSecret(toEndpoint(rows[0]));
  }

  /** A tenant's endpoints, or every tenant's (the tool admin's page). */
  async list(tenantId?: string): Promise<WebhookEndpoint[]> {
    const { rows } = await this.db.query(
      `SELECT ${COLUMNS} FROM webhook_endpoints WHERE $1::text IS NULL OR tenant_id = $1
       ORDER BY tenant_id, created_at`,
      [tenantId ?? null],
    );
    return rows.map((r) => withoutSecret(toEndpoint(r)));
  }

  /** Changes an endpoint; turning it on again starts its failure streak afresh. */
  async change(
    tenantId: string,
    id: string,
    c: EndpointChange,
  ): Promise<WebhookEndpointWithSecret | undefined> {
    const { rows } = await this.db.query(
      `UPDATE webhook_endpoints SET
         url = COALESCE($3, url), description = COALESCE($4, description),
         event_types = COALESCE($5, event_types),
         enabled = COALESCE($6, enabled),
         disabled_reason = CASE WHEN $6 IS NULL THEN disabled_reason WHEN $6 THEN NULL ELSE $7 END,
         failures = CASE WHEN $6 THEN 0 ELSE failures END,
         failing_since = CASE WHEN $6 THEN NULL ELSE failing_since END
       WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [
        tenantId,
        id,
        c.url ?? null,
        c.description ?? null,
        c.eventTypes ? [...new Set(c.eventTypes)] : null,
        c.enabled ?? null,
        'tenant' satisfies DisabledReason,
      ],
    );
    return rows[0] && toEndpoint(rows[0]);
  }

  async remove(tenantId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2',
      [tenantId, id],
    );
    return rowCount === 1;
  }

  /** A delivery reached it: its failure streak is over. */
  async succeeded(id: string): Promise<void> {
    await this.db.query(
      'UPDATE webhook_endpoints SET failures = 0, failing_since = NULL WHERE id = $1 AND failures > 0',
      [id],
    );
  }

  /**
   * A delivery to it failed: the streak grows, and past the policy the endpoint is turned off. Says
   * whether this failure turned it off.
   */
  async failed(id: string): Promise<boolean> {
    // `spent`: this failure makes the streak long enough (in count and in time) to stop.
    const spent = `e.failures + 1 >= $2 AND COALESCE(e.failing_since, now()) <= now() - make_interval(secs => $3)`;
    const { rows } = await this.db.query<{ disabled: boolean }>(
      `UPDATE webhook_endpoints e SET
         failures = e.failures + 1,
         failing_since = COALESCE(e.failing_since, now()),
         enabled = e.enabled AND NOT (${spent}),
         disabled_reason = CASE WHEN e.enabled AND ${spent} THEN 'failing' ELSE e.disabled_reason END
       FROM (SELECT id, enabled FROM webhook_endpoints WHERE id = $1) before
       WHERE e.id = before.id
       RETURNING before.enabled AND NOT e.enabled AS disabled`,
      [id, this.policy.afterFailures, this.policy.afterSec],
    );
    return rows[0]?.disabled ?? false;
  }
}
