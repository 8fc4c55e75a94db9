import type { DingTalkIdentity } from '../../../adapters/dingtalk/dingtalk-identity.js';
import { userKeyOf } from '../../../adapters/dingtalk/dingtalk-identity.js';
import { inTransaction, type Db, type Queryable } from '../db/database.js';

/** A department (with its sub-departments, resolved to `members`) or one person. */
export interface AssignmentTarget {
  readonly deptId?: number;
  readonly userid?: string;
  readonly members: readonly string[];
}

export interface AssignmentSummary {
  readonly lessonId: string;
  readonly title: string;
  /** A department (with its sub-departments) or one person. */
  readonly target: { readonly deptId: number } | { readonly userid: string };
  readonly assignees: number;
  readonly notified: number;
  readonly failed: number;
  readonly completed: number;
}

/** A lesson's assignment to a department, as the address-book refresh re-resolves it. */
export interface DepartmentAssignment {
  readonly lessonId: string;
  readonly deptId: number;
  readonly assignedBy: string;
}

/** What the assignment rules need stored; `AssignmentRepository` in PostgreSQL, a map in fast tests. */
export interface AssignmentStore {
  /**
   * Records the targets and the people they stand for; `then` runs in the same transaction with the
   * people reached for the first time on this lesson (however many targets reach them).
   */
  record<T>(
    corpId: string,
    lessonId: string,
    targets: readonly AssignmentTarget[],
    assignedBy: string,
    then: (tx: Queryable, reached: readonly string[]) => Promise<T>,
  ): Promise<T>;
  departmentAssignments(corpId: string): Promise<DepartmentAssignment[]>;
  isAssigned(
    corpId: string,
    lessonId: string,
    who: Pick<DingTalkIdentity, 'userid' | 'deptIds'>,
  ): Promise<boolean>;
  list(corpId: string): Promise<AssignmentSummary[]>;
}

/** `dingtalk_assignments` (what was assigned to whom) and `dingtalk_assignees` (the people reached). */
export class AssignmentRepository implements AssignmentStore {
  constructor(private readonly db: Db) {}

  async record<T>(
    corpId: string,
    lessonId: string,
    targets: readonly AssignmentTarget[],
    assignedBy: string,
    then: (tx: Queryable, reached: readonly string[]) => Promise<T>,
  ): Promise<T> {
    return inTransaction(this.db, async (c) => {
      const reached: string[] = [];
      for (const t of targets) {
        const a = await c.query<{ id: string }>(
          `INSERT INTO dingtalk_assignments (corp_id, lesson_id, dept_id, userid, assigned_by)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (corp_id, lesson_id, COALESCE(dept_id::text, 'u:' || userid))
             DO UPDATE SET assigned_by = EXCLUDED.assigned_by
           RETURNING id`,
          [corpId, lessonId, t.deptId ?? null, t.userid ?? null, assignedBy],
        );
        const added = await c.query<{ userid: string }>(
          `INSERT INTO dingtalk_assignees (corp_id, lesson_id, userid, user_key, assignment_id, assigned_by)
           SELECT $1, $2, u, k, $3, $4 FROM unnest($5::text[], $6::text[]) AS x(u, k)
           ON CONFLICT DO NOTHING RETURNING userid`,
          [
            corpId,
            lessonId,
            a.rows[0]!.id,
            assignedBy,
            t.members,
            t.members.map((u) => userKeyOf(corpId, u)),
          ],
        );
        reached.push(...added.rows.map((x) => x.userid));
      }
      return then(c, reached);
    });
  }

  async departmentAssignments(corpId: string): Promise<DepartmentAssignment[]> {
    const { rows } = await this.db.query<{ lesson_id: string; dept_id: string; assigned_by: string }>(
      `SELECT lesson_id, dept_id, assigned_by FROM dingtalk_assignments
       WHERE corp_id = $1 AND dept_id IS NOT NULL ORDER BY id`,
      [corpId],
    );
    return rows.map((r) => ({ lessonId: r.lesson_id, deptId: Number(r.dept_id), assignedBy: r.assigned_by }));
  }

  async isAssigned(
    corpId: string,
    lessonId: string,
    who: Pick<DingTalkIdentity, 'userid' | 'deptIds'>,
  ): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `SELECT 1 FROM dingtalk_assignees WHERE corp_id = $1 AND lesson_id = $2 AND userid = $3
       UNION ALL
       SELECT 1 FROM dingtalk_assignments WHERE corp_id = $1 AND lesson_id = $2 AND dept_id = ANY($4::bigint[])
       LIMIT 1`,
      [corpId, lessonId, who.userid, who.deptIds],
    );
    return rowCount === 1;
  }

  /** The organisation's assignments with how far each got (notices, completions), for the admin page. */
  async list(corpId: string): Promise<AssignmentSummary[]> {
    const { rows } = await this.db.query<{
      lesson_id: string;
      title: string;
      dept_id: string | null;
      userid: string | null;
      assignees: number;
      notified: number;
      failed: number;
      completed: number;
    }>(
      `SELECT a.lesson_id, l.title, a.dept_id, a.userid,
         count(s.userid)::int AS assignees,
         count(*) FILTER (WHERE n.status IN ('sent', 'delivered', 'unknown'))::int AS notified,
         count(*) FILTER (WHERE n.status = 'failed')::int AS failed,
         count(*) FILTER (WHERE w.completed_at IS NOT NULL)::int AS completed
       FROM dingtalk_assignments a JOIN lessons l ON l.id = a.lesson_id
       LEFT JOIN dingtalk_assignees s ON s.assignment_id = a.id
       LEFT JOIN dingtalk_notices n ON n.dedupe_key = 'assign:' || s.corp_id || ':' || s.lesson_id || ':' || s.userid
       LEFT JOIN watch_progress w ON w.lesson_id = s.lesson_id AND w.user_id = s.user_key
       WHERE a.corp_id = $1
       GROUP BY a.id, l.title ORDER BY a.created_at DESC`,
      [corpId],
    );
    return rows.map((r) => ({
      lessonId: r.lesson_id,
      title: r.title,
      target: r.dept_id !== null ? { deptId: Number(r.dept_id) } : { userid: r.userid! },
      assignees: r.assignees,
      notified: r.notified,
      failed: r.failed,
      completed: r.completed,
    }));
  }
}
