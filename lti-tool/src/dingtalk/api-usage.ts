import type { Logger } from 'pino';
import { quotaMonth, type CallMeter } from '../../../adapters/dingtalk/api-quota.js';
import type { Db } from '../db/database.js';

/** An organisation's month of DingTalk calls against its quota. */
export interface MonthUsage {
  readonly month: string;
  readonly calls: number;
  readonly quota: number;
  /** DingTalk said the quota is used up (90020): no call that counts succeeds before this. */
  readonly exhaustedUntil?: Date;
  /** Few calls left (under TIGHT_SHARE of the quota): learners' completion notices wait for the summary. */
  readonly tight: boolean;
}

/** Below this share of the month's quota left, calls are saved for what cannot wait. */
export const TIGHT_SHARE = 0.2;

/**
 * The monthly quota's ledger (dingtalk_api_usage): counts each call the bridge makes that counts, by
 * organisation and month in China, and keeps DingTalk's "used up until" when it says so. Counting is
 * fire-and-forget: a lost count never holds a notice back.
 */
export class ApiUsage implements CallMeter {
  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  counted(corpId: string): void {
    this.db
      .query(
        `INSERT INTO dingtalk_api_usage (corp_id, month, calls) VALUES ($1, $2, 1)
         ON CONFLICT (corp_id, month) DO UPDATE SET calls = dingtalk_api_usage.calls + 1`,
        [corpId, quotaMonth(new Date())],
      )
      .catch((e: Error) => this.log.warn({ corpId, err: e.message }, 'DingTalk call not counted'));
  }

  /** DingTalk refused a call for the month's quota: nothing that counts is tried before it renews. */
  async exhausted(corpId: string, until: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO dingtalk_api_usage (corp_id, month, exhausted_until) VALUES ($1, $2, $3)
       ON CONFLICT (corp_id, month) DO UPDATE SET exhausted_until = $3`,
      [corpId, quotaMonth(new Date()), until],
    );
    this.log.warn({ event: 'notice', corpId, until }, 'DingTalk monthly API quota used up');
  }

  async of(corpId: string, now = new Date()): Promise<MonthUsage> {
    const { rows } = await this.db.query<{ quota: number; calls: number | null; until: Date | null }>(
      `SELECT c.monthly_call_quota AS quota, u.calls, u.exhausted_until AS until
       FROM dingtalk_corps c LEFT JOIN dingtalk_api_usage u ON u.corp_id = c.corp_id AND u.month = $2
       WHERE c.corp_id = $1`,
      [corpId, quotaMonth(now)],
    );
    const r = rows[0];
    const quota = r?.quota ?? 0;
    const calls = r?.calls ?? 0;
    const until = r?.until && r.until > now ? r.until : undefined;
    return {
      month: quotaMonth(now),
      calls,
      quota,
      ...(until && { exhaustedUntil: until }),
      tight: !!until || quota - calls < quota * TIGHT_SHARE,
    };
  }
}
