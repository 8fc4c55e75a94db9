import { createHash } from 'node:crypto';
import type { Notice } from '../../../adapters/lms-adapter.js';
import { userKeyOf } from '../../../adapters/dingtalk/dingtalk-identity.js';
import type { Db, Queryable } from '../db/database.js';

export type NoticeKind = 'assignment' | 'completion' | 'summary';

/**
 * DingTalk answers for a send (its progress, its result) for 24 hours (shared/docs/dingtalk.md §4);
 * a little less here, so the last look is not refused.
 */
export const TASK_LIFE_SEC = 23.5 * 3600;

/** One notice due to one person; `dedupeKey` says what it is for, so it is never due twice. */
export interface DueNotice {
  readonly corpId: string;
  readonly kind: NoticeKind;
  readonly dedupeKey: string;
  readonly userid: string;
  readonly lessonId?: string;
  readonly notice: Notice;
  /** Not to be sent: what it reports goes out in the admin's daily summary (calls are scarce). */
  readonly summarized?: true;
}

/** Why a summarized notice was not sent, for the admin's view. */
const SUMMARIZED =
  'not sent: calls to DingTalk are scarce this month, so the admin’s daily summary reports it';

/** The notices that go out as one send: same organisation, same message. */
export interface NoticeGroup {
  readonly corpId: string;
  readonly messageKey: string;
}

export interface ClaimedBatch extends NoticeGroup {
  readonly ids: number[];
  readonly userids: string[];
  readonly notice: Notice;
}

export const messageKeyOf = (n: Notice): string =>
  createHash('sha256')
    .update(JSON.stringify([n.title, n.markdown, n.linkTitle, n.linkUrl]))
    .digest('hex');

/**
 * The work-notice outbox in PostgreSQL. Notices are written in the transaction that makes them due
 * (ON CONFLICT on their purpose: a second assignment or completion of the same thing adds nothing);
 * a sender claims up to a send's worth of one message under a lease (SKIP LOCKED, so senders in
 * several instances take different people), marks them sent with DingTalk's task id, and later
 * settles each as delivered or failed from the task's result.
 */
export class NoticeOutbox {
  constructor(
    private readonly db: Db,
    private readonly leaseSec = 60,
  ) {}

  /**
   * Adds notices not already due or sent (in the caller's transaction, when given); answers the
   * groups that got new ones.
   */
  async add(due: readonly DueNotice[], c: Queryable = this.db): Promise<NoticeGroup[]> {
    if (!due.length) return [];
    const { rows } = await c.query<{ corp_id: string; message_key: string; status: string }>(
      `INSERT INTO dingtalk_notices (corp_id, kind, dedupe_key, userid, user_key, lesson_id, message, message_key,
         status, last_error)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(corp_id text, kind text, dedupe_key text,
         userid text, user_key text, lesson_id text, message jsonb, message_key text, status text,
         last_error text)
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING corp_id, message_key, status`,
      [
        JSON.stringify(
          due.map((d) => ({
            corp_id: d.corpId,
            kind: d.kind,
            dedupe_key: d.dedupeKey,
            userid: d.userid,
            user_key: userKeyOf(d.corpId, d.userid),
            lesson_id: d.lessonId ?? null,
            message: d.notice,
            message_key: messageKeyOf(d.notice),
            status: d.summarized ? 'summarized' : 'pending',
            last_error: d.summarized ? SUMMARIZED : null,
          })),
        ),
      ],
    );
    const groups = new Map(
      rows.filter((r) => r.status === 'pending').map((r) => [`${r.corp_id}\n${r.message_key}`, r]),
    );
    return [...groups.values()].map((r) => ({ corpId: r.corp_id, messageKey: r.message_key }));
  }

  async claim(g: NoticeGroup, limit: number): Promise<ClaimedBatch | undefined> {
    const { rows } = await this.db.query<{ id: string; userid: string; message: Notice }>(
      `UPDATE dingtalk_notices SET lease_until = now() + make_interval(secs => $4), attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM dingtalk_notices
         WHERE corp_id = $1 AND message_key = $2 AND status = 'pending'
           AND (lease_until IS NULL OR lease_until < now())
         ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING id, userid, message`,
      [g.corpId, g.messageKey, limit, this.leaseSec],
    );
    if (!rows.length) return undefined;
    return {
      ...g,
      ids: rows.map((r) => Number(r.id)),
      userids: rows.map((r) => r.userid),
      notice: rows[0]!.message,
    };
  }

  async sent(b: ClaimedBatch, taskId: string): Promise<void> {
    await this.db.query(
      `UPDATE dingtalk_notices SET status = 'sent', task_id = $2, sent_at = now(), lease_until = NULL,
         last_error = NULL WHERE id = ANY($1)`,
      [b.ids, taskId],
    );
  }

  /** Not sent this time (DingTalk busy, rate-limited, unreachable): released for the next attempt. */
  async postponed(b: ClaimedBatch, reason: string): Promise<void> {
    await this.db.query(
      'UPDATE dingtalk_notices SET lease_until = NULL, last_error = $2 WHERE id = ANY($1)',
      [b.ids, reason.slice(0, 500)],
    );
  }

  /** Pending notices to people who left the organisation will never reach them: failed, with why. */
  async dropPending(c: Queryable, corpId: string, userids: readonly string[], reason: string): Promise<void> {
    await c.query(
      `UPDATE dingtalk_notices SET status = 'failed', last_error = $3, lease_until = NULL
       WHERE corp_id = $1 AND userid = ANY($2) AND status = 'pending'`,
      [corpId, userids, reason],
    );
  }

  /** DingTalk refused the send for good: kept with the reason for the admin. */
  async refused(b: ClaimedBatch, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE dingtalk_notices SET status = 'failed', lease_until = NULL, last_error = $2 WHERE id = ANY($1)`,
      [b.ids, reason.slice(0, 500)],
    );
  }

  /** Notices by status, delivered ones aside: the background page's backlog. */
  async backlog(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ status: string; n: string }>(
      `SELECT status, count(*) AS n FROM dingtalk_notices WHERE status <> 'delivered' GROUP BY status`,
    );
    return {
      pending: 0,
      sent: 0,
      failed: 0,
      unknown: 0,
      summarized: 0,
      ...Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])),
    };
  }

  /** Whether some of the group wait, unclaimed. */
  async waiting(g: NoticeGroup): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `SELECT 1 FROM dingtalk_notices WHERE corp_id = $1 AND message_key = $2 AND status = 'pending'
         AND (lease_until IS NULL OR lease_until < now()) LIMIT 1`,
      [g.corpId, g.messageKey],
    );
    return rowCount === 1;
  }

  /** Groups with notices nobody holds: the relay queues them (again). */
  async waitingGroups(limit = 1000): Promise<NoticeGroup[]> {
    const { rows } = await this.db.query<{ corp_id: string; message_key: string }>(
      `SELECT DISTINCT corp_id, message_key FROM dingtalk_notices
       WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < now()) LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ corpId: r.corp_id, messageKey: r.message_key }));
  }

  /** Sends whose outcome is not known yet, young enough for DingTalk still to answer for them. */
  async unsettledTasks(limit = 1000): Promise<{ corpId: string; taskId: string }[]> {
    const { rows } = await this.db.query<{ corp_id: string; task_id: string }>(
      `SELECT DISTINCT corp_id, task_id FROM dingtalk_notices
       WHERE status = 'sent' AND sent_at > now() - make_interval(secs => $2) LIMIT $1`,
      [limit, TASK_LIFE_SEC],
    );
    return rows.map((r) => ({ corpId: r.corp_id, taskId: r.task_id }));
  }

  /** The people a send went to, as far as it is not settled. */
  async recipients(corpId: string, taskId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ userid: string }>(
      `SELECT userid FROM dingtalk_notices WHERE corp_id = $1 AND task_id = $2 AND status = 'sent'`,
      [corpId, taskId],
    );
    return rows.map((r) => r.userid);
  }

  /**
   * Sends past DingTalk's 24 hours (their result was not read in time: an outage of the tool, or of
   * DingTalk) are settled as 'unknown', so they are never asked about again; answers how many.
   */
  async expireTasks(): Promise<number> {
    const { rowCount } = await this.db.query(
      `UPDATE dingtalk_notices SET status = 'unknown',
         last_error = 'sent; DingTalk keeps a send''s result for 24 hours, and it was not read in time'
       WHERE status = 'sent' AND sent_at <= now() - make_interval(secs => $1)`,
      [TASK_LIFE_SEC],
    );
    return rowCount ?? 0;
  }

  /** A send's outcome: everyone it reached is delivered, the rest failed with DingTalk's reason. */
  async settle(corpId: string, taskId: string, undelivered: ReadonlyMap<string, string>): Promise<void> {
    await this.db.query(
      `UPDATE dingtalk_notices n SET status = CASE WHEN x.reason IS NULL THEN 'delivered' ELSE 'failed' END,
         last_error = x.reason
       FROM (SELECT id, u.reason FROM dingtalk_notices d
             LEFT JOIN jsonb_each_text($3::jsonb) AS u(userid, reason) ON u.userid = d.userid
             WHERE d.corp_id = $1 AND d.task_id = $2 AND d.status = 'sent') x
       WHERE n.id = x.id`,
      [corpId, taskId, JSON.stringify(Object.fromEntries(undelivered))],
    );
  }
}
