import type { Db } from '../db/database.js';
import type { GradeKey } from '../grades/grade-key.js';
import { gradeOf } from '../progress/grade-policy.js';
import { DEFAULT_WATCHING_WEIGHT } from '../questions/question-set.js';

/** A DingTalk learner's completed lesson that no completion notice covers yet. */
export interface UnreportedCompletion {
  readonly corpId: string;
  readonly userid: string;
  readonly lessonId: string;
  readonly title: string;
  /** On a lesson with questions: the grade (0 … 1) and the learner's points. */
  readonly score?: { readonly grade: number; readonly earned: number; readonly total: number };
}

/** One admin's day of completions on the lessons they assigned. */
export interface AssignerDay {
  readonly corpId: string;
  readonly assignedBy: string;
  readonly done: readonly { readonly name: string; readonly lesson: string }[];
}

/**
 * What the completion reports read: watching joined to DingTalk's people, assignments and notices.
 * Read only; each table it joins has its own writer.
 */
export class CompletionRepository {
  constructor(private readonly db: Db) {}

  /** Completions without a completion notice, of these learners (any DingTalk learner if none given). */
  async unreported(keys?: readonly GradeKey[]): Promise<UnreportedCompletion[]> {
    const { rows } = await this.db.query<{
      corp_id: string;
      userid: string;
      lesson_id: string;
      title: string;
      coverage: number;
      question_earned: number | null;
      question_total: number | null;
      watching_weight: number | null;
    }>(
      `SELECT u.corp_id, u.userid, w.lesson_id, l.title, w.coverage, w.question_earned, w.question_total,
              (q.question_set->>'watchingWeight')::float AS watching_weight
       FROM watch_progress w JOIN dingtalk_users u ON u.user_key = w.user_id
       JOIN lessons l ON l.id = w.lesson_id
       LEFT JOIN lesson_questions q ON q.lesson_id = w.lesson_id
       WHERE w.completed_at IS NOT NULL AND u.left_at IS NULL
         AND ($1::text[] IS NULL OR (w.lesson_id, w.user_id) IN
               (SELECT * FROM unnest($1::text[], $2::text[])))
         AND NOT EXISTS (SELECT 1 FROM dingtalk_notices n WHERE n.kind = 'completion'
               AND n.lesson_id = w.lesson_id AND n.user_key = w.user_id)
       LIMIT 5000`,
      [keys?.map((k) => k.lessonId) ?? null, keys?.map((k) => k.userId) ?? null],
    );
    return rows.map((r) => ({
      corpId: r.corp_id,
      userid: r.userid,
      lessonId: r.lesson_id,
      title: r.title,
      // Points are kept from a learner's first answer on: the lesson has questions.
      ...(r.question_total !== null && {
        score: {
          grade: gradeOf(
            r.coverage,
            { watchingWeight: r.watching_weight ?? DEFAULT_WATCHING_WEIGHT, passThreshold: 0 },
            r.question_total ? (r.question_earned ?? 0) / r.question_total : 0,
          ),
          earned: r.question_earned ?? 0,
          total: r.question_total,
        },
      }),
    }));
  }

  /** `day`'s completions (a calendar day in `timeZone`) grouped by the admin who assigned the lesson. */
  async byAssigner(day: string, timeZone: string): Promise<AssignerDay[]> {
    const { rows } = await this.db.query<{
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
      [day, timeZone],
    );
    return rows.map((r) => ({ corpId: r.corp_id, assignedBy: r.assigned_by, done: r.done }));
  }
}
