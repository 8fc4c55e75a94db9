import type { Member } from '../../../adapters/lms-adapter.js';
import { inTransaction, type Db } from '../db/database.js';

/** The course rosters fetched from the LMS (`course_members`); the dashboard joins them to progress. */
export class CourseMembers {
  constructor(private readonly db: Db) {}

  /** Whether the course's roster was fetched less than `maxAgeSec` ago. */
  async isFresh(tenantId: string, contextId: string, maxAgeSec: number): Promise<boolean> {
    const { rows } = await this.db.query<{ fresh: boolean | null }>(
      `SELECT max(synced_at) > now() - make_interval(secs => $3) AS fresh
       FROM course_members WHERE tenant_id = $1 AND context_id = $2`,
      [tenantId, contextId, maxAgeSec],
    );
    return rows[0]?.fresh === true;
  }

  /** The course's roster becomes `members`: who left the course is gone from it (their progress stays). */
  async replace(tenantId: string, contextId: string, members: readonly Member[]): Promise<void> {
    await inTransaction(this.db, async (c) => {
      await c.query('DELETE FROM course_members WHERE tenant_id = $1 AND context_id = $2', [
        tenantId,
        contextId,
      ]);
      await c.query(
        `INSERT INTO course_members (tenant_id, context_id, user_id, name, roles, status)
         SELECT $1, $2, x.user_id, x.name, x.roles, x.status
         FROM jsonb_to_recordset($3::jsonb) AS x(user_id text, name text, roles text[], status text)
         ON CONFLICT DO NOTHING`,
        [
          tenantId,
          contextId,
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
  }
}
