import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import { loopbackServer } from './loopback-server.js';

/** One request the receiver took, and whether its signature held. */
export interface Received {
  readonly id: string;
  readonly timestamp: number;
  readonly body: string;
  readonly verified: boolean;
  readonly answered: number;
  readonly json: { type: string; timestamp: string; data: Record<string, unknown> };
}

/**
 * A webhook receiver written from the Standard Webhooks specification (standardwebhooks.com), not
 * from our sender nor its library: the signed content is `${webhook-id}.${webhook-timestamp}.${body}`,
 * HMAC-SHA256 keyed with the base64 bytes after the secret's `whsec_` prefix, sent base64 as `v1,…`
 * in `webhook-signature` (space-separated when there are several). It answers `status` (200 unless
 * told otherwise) and records everything.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  status = 200;
  secret = '';
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    ({ server: this.server, url: this.url } = await loopbackServer((req, body) => {
      const id = String(req.headers['webhook-id'] ?? '');
      const timestamp = Number(req.headers['webhook-timestamp'] ?? NaN);
      const signatures = String(req.headers['webhook-signature'] ?? '').split(' ');
      const answered = this.status;
      this.received.push({
        id,
        timestamp,
        body,
        verified: this.verify(id, timestamp, body, signatures),
        answered,
        json: JSON.parse(body) as Received['json'],
      });
      return { status: answered, body: answered < 300 ? 'ok' : 'not now' };
    }));
    this.url += '/hooks';
    return this;
  }

  private verify(id: string, timestamp: number, body: string, signatures: string[]): boolean {
    if (!this.secret.startsWith('whsec_') || !id || !Number.isInteger(timestamp)) return false;
    const key = Buffer.from(this.secret.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
    return signatures.some((s) => {
      const [version, value] = s.split(',');
      const given = Buffer.from(value ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
  }

  /** What was taken (2xx) of this event type. */
  delivered(type: string): Received[] {
    return this.received.filter((r) => r.json.type === type && r.answered < 300);
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
