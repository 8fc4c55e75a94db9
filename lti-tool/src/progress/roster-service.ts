import type { LmsAdapter } from '../../../adapters/lms-adapter.js';
import { inTransaction, type Db } from '../db/database.js';
import type { LtiSession } from '../lti/lti-sessions.js';

/**
 * Course rosters from the LMS (Names and Role Provisioning Services), so the dashboard also lists
 * learners who have not started. Fetched with an instructor's launch (its NRPS claim names the
 * endpoint) when the stored one is older than `maxAgeSec`.
 */
export class RosterService {
  constructor(
    private readonly db: Db,
    private readonly lms: LmsAdapter,
    private readonly maxAgeSec: number,
  ) {}

  /** Refreshes the course's roster if it is stale; returns the members fetched, or undefined if fresh. */
  async refresh(session: LtiSession): Promise<number | undefined> {
    const url = (session.launch.nrps as { context_memberships_url?: string } | undefined)
      ?.context_memberships_url;
    if (!url) return undefined;
    const { rows } = await this.db.query<{ fresh: boolean }>(
      `SELECT max(synced_at) > now() - make_interval(secs => $3) AS fresh
       FROM course_members WHERE tenant_id = $1 AND context_id = $2`,
      [session.tenantId, session.contextId, this.maxAgeSec],
    );
    if (rows[0]?.fresh) return undefined;
    const members = await this.lms.fetchRoster({ platformId: session.platformId, membershipsUrl: url });
    await inTransaction(this.db, async (c) => {
      // Who left the course is gone from the roster; their watching stays in the progress.
      await c.query('DELETE FROM course_members WHERE tenant_id = $1 AND context_id = $2', [
        session.tenantId,
        session.contextId,
      ]);
      await c.query(
        `INSERT INTO course_members (tenant_id, context_id, user_id, name, roles, status)
         SELECT $1, $2, x.user_id, x.name, x.roles, x.status
         FROM jsonb_to_recordset($3::jsonb) AS x(user_id text, name text, roles text[], status text)
         ON CONFLICT DO NOTHING`,
        [
          session.tenantId,
          session.contextId,
          JSON.stringify(
            members.map((m) => ({
              user_id: m.userId,
              name: m.name ?? null,
              roles: m.roles,
              status: m.status,
            })),
          ),
        ],
      );
    });
    return members.length;
  }
}
