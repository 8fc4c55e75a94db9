import type { DingTalkApi } from '../../../adapters/dingtalk/dingtalk-api.js';
import type { DingTalkIdentity } from '../../../adapters/dingtalk/dingtalk-identity.js';
import { userKeyOf } from '../../../adapters/dingtalk/dingtalk-identity.js';
import { inTransaction, type Db } from '../db/database.js';
import type { MediaUrls } from '../media/media-urls.js';
import type { Corp } from './corp-repository.js';
import type { NoticeDelivery } from './notice-delivery.js';
import { assignmentNotice, lessonPageUrl } from './notice-messages.js';
import type { NoticeOutbox } from './notice-outbox.js';

export interface AssignmentDeps {
  readonly db: Db;
  readonly api: DingTalkApi;
  readonly outbox: NoticeOutbox;
  readonly delivery: NoticeDelivery;
  readonly urls: MediaUrls;
  readonly publicUrl: string;
}

export interface AssignRequest {
  readonly lessonId: string;
  readonly deptIds: readonly number[];
  readonly userids: readonly string[];
  /** The admin's DingTalk user id (their daily summary) or, for a tool admin, their user name. */
  readonly assignedBy: string;
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

/** A poster link in a notice stays valid this long: cards are read days later. */
const POSTER_TTL_SEC = 30 * 24 * 3600;

export class AssignError extends Error {}

/** A department or a person, with the people it stands for. */
interface Target {
  readonly deptId?: number;
  readonly userid?: string;
  readonly members: readonly string[];
}

/** How long address-book events may keep arriving before the department assignments are resolved. */
const REFRESH_SETTLE_MS = 500;

/**
 * Lessons assigned to DingTalk departments and people. Departments are resolved to people when
 * assigned (with their sub-departments), and each person gets one work notice per lesson however
 * often they are reached: the notices are written to the outbox in the assignment's transaction.
 */
export class Assignments {
  constructor(private readonly d: AssignmentDeps) {}

  async assign(corp: Corp, r: AssignRequest): Promise<{ assignees: number }> {
    const lesson = await this.publishedLesson(corp, r.lessonId);
    if (!r.deptIds.length && !r.userids.length) throw new AssignError('Choose a department or a person.');
    const targets: Target[] = [];
    for (const deptId of r.deptIds)
      targets.push({ deptId, members: await this.d.api.departmentMembers(corp, deptId) });
    for (const userid of r.userids) targets.push({ userid, members: [userid] });
    return { assignees: await this.reach(corp, lesson, targets, r.assignedBy) };
  }

  private readonly refreshes = new Map<string, { again: boolean }>();

  /**
   * A refresh soon: events come in bursts (an HR import moves hundreds of people), so one runs at a
   * time per organisation, and events during it make one more run after it, not one each.
   */
  refreshSoon(corp: Corp, onError: (e: Error) => void): void {
    const running = this.refreshes.get(corp.corpId);
    if (running) return void (running.again = true);
    const state = { again: false };
    this.refreshes.set(corp.corpId, state);
    void (async () => {
      do {
        // Events come in bursts (an HR import sends one per person): let the burst settle first, so
        // one re-resolution covers it, whatever each event's own handling takes.
        await new Promise((r) => setTimeout(r, REFRESH_SETTLE_MS));
        state.again = false;
        await this.refresh(corp);
      } while (state.again);
    })()
      .catch(onError)
      .finally(() => this.refreshes.delete(corp.corpId));
  }

  /**
   * Departments change (people join, move, departments are made): each assignment to a department
   * reaches its members now, and the new ones get their notice. DingTalk's events call this.
   */
  async refresh(corp: Corp): Promise<number> {
    const { rows } = await this.d.db.query<{ lesson_id: string; dept_id: string; assigned_by: string }>(
      `SELECT lesson_id, dept_id, assigned_by FROM dingtalk_assignments
       WHERE corp_id = $1 AND dept_id IS NOT NULL ORDER BY id`,
      [corp.corpId],
    );
    let reached = 0;
    for (const r of rows) {
      const lesson = await this.publishedLesson(corp, r.lesson_id).catch(() => undefined);
      if (!lesson) continue; // withdrawn since: nobody new is sent to it
      const deptId = Number(r.dept_id);
      const members = await this.d.api.departmentMembers(corp, deptId);
      reached += await this.reach(corp, lesson, [{ deptId, members }], r.assigned_by);
    }
    return reached;
  }

  private async publishedLesson(
    corp: Corp,
    lessonId: string,
  ): Promise<{ id: string; title: string; published_render_id: string }> {
    const { rows } = await this.d.db.query<{ id: string; title: string; published_render_id: string | null }>(
      'SELECT id, title, published_render_id FROM lessons WHERE tenant_id = $1 AND id = $2',
      [corp.tenantId, lessonId],
    );
    const lesson = rows[0];
    if (!lesson) throw new AssignError('No such lesson in this organisation’s courses.');
    if (!lesson.published_render_id) throw new AssignError('This lesson is not published yet.');
    return { ...lesson, published_render_id: lesson.published_render_id };
  }

  /**
   * Records the assignment targets and the people they reach, and queues a notice for each person
   * reached for the first time, all in one transaction; answers how many were new.
   */
  private async reach(
    corp: Corp,
    lesson: { id: string; title: string; published_render_id: string },
    targets: readonly Target[],
    assignedBy: string,
  ): Promise<number> {
    const notice = assignmentNotice({
      title: lesson.title,
      posterUrl: this.d.urls.poster(lesson.published_render_id, POSTER_TTL_SEC),
      pageUrl: lessonPageUrl(this.d.publicUrl, corp.corpId, lesson.id),
    });
    const { assignees, groups } = await inTransaction(this.d.db, async (c) => {
      let assignees = 0;
      const reached: string[] = [];
      for (const t of targets) {
        const a = await c.query<{ id: string }>(
          `INSERT INTO dingtalk_assignments (corp_id, lesson_id, dept_id, userid, assigned_by)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (corp_id, lesson_id, COALESCE(dept_id::text, 'u:' || userid))
             DO UPDATE SET assigned_by = EXCLUDED.assigned_by
           RETURNING id`,
          [corp.corpId, lesson.id, t.deptId ?? null, t.userid ?? null, assignedBy],
        );
        const added = await c.query<{ userid: string }>(
          `INSERT INTO dingtalk_assignees (corp_id, lesson_id, userid, user_key, assignment_id, assigned_by)
           SELECT $1, $2, u, k, $3, $4 FROM unnest($5::text[], $6::text[]) AS x(u, k)
           ON CONFLICT DO NOTHING RETURNING userid`,
          [
            corp.corpId,
            lesson.id,
            a.rows[0]!.id,
            assignedBy,
            t.members,
            t.members.map((u) => userKeyOf(corp.corpId, u)),
          ],
        );
        assignees += added.rowCount ?? 0;
        reached.push(...added.rows.map((x) => x.userid));
      }
      const groups = await this.d.outbox.add(
        c,
        reached.map((userid) => ({
          corpId: corp.corpId,
          kind: 'assignment' as const,
          dedupeKey: `assign:${corp.corpId}:${lesson.id}:${userid}`,
          userid,
          lessonId: lesson.id,
          notice,
        })),
      );
      return { assignees, groups };
    });
    // Committed: send now. Were Redis away, the relay sends them from the outbox later.
    await this.d.delivery.enqueue(groups).catch(() => {});
    return assignees;
  }

  /** Whether a person may open a lesson: assigned by name, or in a department it was assigned to. */
  async isAssigned(corpId: string, lessonId: string, who: DingTalkIdentity): Promise<boolean> {
    const { rowCount } = await this.d.db.query(
      `SELECT 1 FROM dingtalk_assignees WHERE corp_id = $1 AND lesson_id = $2 AND userid = $3
       UNION ALL
       SELECT 1 FROM dingtalk_assignments WHERE corp_id = $1 AND lesson_id = $2 AND dept_id = ANY($4::bigint[])
       LIMIT 1`,
      [corpId, lessonId, who.userid, who.deptIds],
    );
    return rowCount === 1;
  }

  /** The organisation's assignments with how far each got, for the admin page. */
  async list(corpId: string): Promise<AssignmentSummary[]> {
    const { rows } = await this.d.db.query<{
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
         count(*) FILTER (WHERE n.status IN ('sent', 'delivered'))::int AS notified,
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
