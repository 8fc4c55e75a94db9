import { createHash } from 'node:crypto';
import type { Db } from '../db/database.js';

/** How long a handled event is remembered: far past the 5 minutes a callback's signature is accepted. */
const KEEP_HOURS = 24;

/**
 * DingTalk event callbacks already handled, per organisation: a genuine callback captured and sent
 * again (within its signature's 5 minutes, or later) does nothing the second time. The key is the
 * event's `eventId`; a payload without one (older pushes) is known by its sealed bytes.
 */
export class CallbackEvents {
  constructor(private readonly db: Db) {}

  static keyOf(event: { eventId?: unknown; EventId?: unknown }, sealed: string): string {
    const id = event.eventId ?? event.EventId;
    return typeof id === 'string' && id ? id : `sealed:${createHash('sha256').update(sealed).digest('hex')}`;
  }

  /** True the first time this organisation's event is seen, false for a replay. */
  async firstTime(corpId: string, key: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO dingtalk_callback_events (corp_id, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [corpId, key],
    );
    return rowCount === 1;
  }

  /** The event was not handled after all: its next delivery counts as the first. */
  async forget(corpId: string, key: string): Promise<void> {
    await this.db.query('DELETE FROM dingtalk_callback_events WHERE corp_id = $1 AND event_id = $2', [
      corpId,
      key,
    ]);
  }

  async prune(): Promise<void> {
    await this.db.query(
      `DELETE FROM dingtalk_callback_events WHERE received_at < now() - make_interval(hours => $1)`,
      [KEEP_HOURS],
    );
  }
}
