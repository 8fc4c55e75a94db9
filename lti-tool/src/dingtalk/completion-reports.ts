import type { Db } from '../db/database.js';
import type { GradeKey } from '../grades/grade-key.js';
import type { NoticeDelivery } from './notice-delivery.js';
import { completionNotice, lessonPageUrl, summaryNotice } from './notice-messages.js';
import type { DueNotice, NoticeOutbox } from './notice-outbox.js';

export interface CompletionReportsDeps {
  readonly db: Db;
  readonly outbox: NoticeOutbox;
  readonly delivery: NoticeDelivery;
  readonly publicUrl: string;
  /** The organisations' time zone: a summary covers one calendar day there. */
  readonly timeZone: string;
}

/**
 * Completion back to DingTalk: a notice to each DingTalk learner who completes a lesson, and each
 * morning a summary of the day before to every admin who assigned lessons that were completed.
 * Each is keyed by what it reports, so it is sent once whether the ingest's signal, the sweep that
 * catches a missed signal, or both find it.
 */
export class CompletionReports {
  constructor(private readonly d: CompletionReportsDeps) {}

  /** Completion notices for these learners (all DingTalk learners' unreported completions if none given). */
  async report(keys?: readonly GradeKey[]): Promise<number> {
    const dt = keys?.filter((k) => k.userId.startsWith('dt:'));
    if (dt && !dt.length) return 0;
    const { rows } = await this.d.db.query<{
      corp_id: string;
      userid: string;
      lesson_id: string;
      title: string;
    }>(
      `SELECT u.corp_id, u.userid, w.lesson_id, l.title
       FROM watch_progress w JOIN dingtalk_users u ON u.user_key = w.user_id
       JOIN lessons l ON l.id = w.lesson_id
       WHERE w.completed_at IS NOT NULL AND u.left_at IS NULL
         AND ($1::text[] IS NULL OR (w.lesson_id, w.user_id) IN
               (SELECT * FROM unnest($1::text[], $2::text[])))
         AND NOT EXISTS (SELECT 1 FROM dingtalk_notices n WHERE n.kind = 'completion'
               AND n.lesson_id = w.lesson_id AND n.user_key = w.user_id)
       LIMIT 5000`,
      [dt?.map((k) => k.lessonId) ?? null, dt?.map((k) => k.userId) ?? null],
    );
    const due: DueNotice[] = rows.map((r) => ({
      corpId: r.corp_id,
      kind: 'completion',
      dedupeKey: `done:${r.corp_id}:${r.lesson_id}:${r.userid}`,
      userid: r.userid,
      lessonId: r.lesson_id,
      notice: completionNotice({
        title: r.title,
        pageUrl: lessonPageUrl(this.d.publicUrl, r.corp_id, r.lesson_id),
      }),
    }));
    return (await this.queue(due)) ? due.length : 0;
  }

  /** The calendar day before `now` in the organisations' time zone, as YYYY-MM-DD. */
  yesterday(now = new Date()): string {
    return new Intl.DateTimeFormat('en-CA', { timeZone: this.d.timeZone }).format(
      new Date(now.getTime() - 86_400_000),
    );
  }

  /** Summaries of `day`'s completions to the admins who assigned those lessons (once per admin and day). */
  async summarize(day: string): Promise<number> {
    const { rows } = await this.d.db.query<{
      corp_id: string;
      assigned_by: string;
      done: { name: string; lesson: string }[];
    }>(
      `SELECT a.corp_id, a.assigned_by,
         json_agg(json_build_object('name', COALESCE(u.name, a.userid), 'lesson', l.title)
           ORDER BY w.completed_at) AS done
       FROM dingtalk_assignees a
       JOIN dingtalk_corps c ON c.corp_id = a.corp_id AND a.assigned_by = ANY(c.admin_userids)
       JOIN watch_progress w ON w.lesson_id = a.lesson_id AND w.user_id = a.user_key
       JOIN lessons l ON l.id = a.lesson_id
       LEFT JOIN dingtalk_users u ON u.corp_id = a.corp_id AND u.userid = a.userid
       WHERE (w.completed_at AT TIME ZONE $2)::date = $1::date
       GROUP BY a.corp_id, a.assigned_by`,
      [day, this.d.timeZone],
    );
    const dashboard = `${this.d.publicUrl.replace(/\/+$/, '')}/admin/progress`;
    const due: DueNotice[] = rows.map((r) => ({
      corpId: r.corp_id,
      kind: 'summary',
      dedupeKey: `summary:${r.corp_id}:${r.assigned_by}:${day}`,
      userid: r.assigned_by,
      notice: summaryNotice(day, r.done, `${dashboard}?${new URLSearchParams({ corp: r.corp_id })}`),
    }));
    return this.queue(due);
  }

  /** Into the outbox (what was due already adds nothing), then sent now; answers the new groups. */
  private async queue(due: readonly DueNotice[]): Promise<number> {
    const groups = await this.d.outbox.add(this.d.db, due);
    // Were Redis away, the relay sends them from the outbox later.
    await this.d.delivery.enqueue(groups).catch(() => {});
    return groups.length;
  }
}
