import type { DingTalkIdentity } from '../../../adapters/dingtalk/dingtalk-identity.js';
import { platformIdOf, userKeyOf } from '../../../adapters/dingtalk/dingtalk-identity.js';
import { inTransaction, type Db } from '../db/database.js';
import type { LtiSessions } from '../lti/lti-sessions.js';
import type { NoticeOutbox } from './notice-outbox.js';

/** DingTalk people as learners of their organisation's tenant. */
export class DingTalkPeople {
  constructor(
    private readonly db: Db,
    private readonly sessions: LtiSessions,
    private readonly outbox: NoticeOutbox,
  ) {}

  /** Records (or refreshes) a person who signed in; answers their user key. */
  async signedIn(who: DingTalkIdentity): Promise<string> {
    const key = userKeyOf(who.corpId, who.userid);
    await this.db.query(
      `INSERT INTO dingtalk_users (corp_id, userid, user_key, unionid, name, dept_ids)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (corp_id, userid) DO UPDATE SET unionid = COALESCE($4, dingtalk_users.unionid),
         name = $5, dept_ids = $6, left_at = NULL, updated_at = now()`,
      [who.corpId, who.userid, key, who.unionid ?? null, who.name, who.deptIds],
    );
    return key;
  }

  /**
   * The organisation's people the tool knows and counts as members: those who signed in and did not
   * leave, and those assigned a lesson (who get its notices).
   */
  async known(corpId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ userid: string }>(
      `SELECT userid FROM dingtalk_users WHERE corp_id = $1 AND left_at IS NULL
       UNION
       SELECT a.userid FROM dingtalk_assignees a
       WHERE a.corp_id = $1 AND NOT EXISTS (SELECT 1 FROM dingtalk_users u
         WHERE u.corp_id = a.corp_id AND u.userid = a.userid AND u.left_at IS NOT NULL)`,
      [corpId],
    );
    return rows.map((r) => r.userid);
  }

  /**
   * People who left the organisation: their sessions end now, notices not yet sent to them are
   * dropped, and they are refused until they rejoin. Their progress stays for the records.
   */
  async left(corpId: string, userids: readonly string[]): Promise<void> {
    if (!userids.length) return;
    const keys = userids.map((u) => userKeyOf(corpId, u));
    await inTransaction(this.db, async (c) => {
      await c.query(
        `INSERT INTO dingtalk_users (corp_id, userid, user_key, left_at)
         SELECT $1, u, k, now() FROM unnest($2::text[], $3::text[]) AS x(u, k)
         ON CONFLICT (corp_id, userid) DO UPDATE SET left_at = now(), updated_at = now()`,
        [corpId, userids, keys],
      );
      await this.sessions.end(platformIdOf(corpId), keys, c);
      await this.outbox.dropPending(c, corpId, userids, 'left the organisation');
    });
  }
}
