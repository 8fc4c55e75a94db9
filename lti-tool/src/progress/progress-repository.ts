import type { Db } from '../db/database.js';
import { perSecond, type Interval } from './coverage.js';
import { gradeOf } from './grade-policy.js';
import { DEFAULT_WATCHING_WEIGHT } from '../questions/question-set.js';

export type LearnerState = 'not-started' | 'in-progress' | 'completed';
export type SyncState = 'delivered' | 'pending' | 'failed' | 'none';

/** One learner on one lesson, as the dashboard shows it. */
export interface LearnerProgress {
  readonly lessonId: string;
  readonly lessonTitle: string;
  readonly contextId: string;
  /** The course's name in its LMS (the context id until a launch from it named it). */
  readonly course: string;
  readonly userId: string;
  readonly name: string;
  readonly coverage: number;
  /** Points on the lesson's questions as of the learner's last answer; absent before one. */
  readonly questions?: { readonly earned: number; readonly total: number };
  /** The grade (0 … 1): coverage, weighed with the questions on a lesson that has them. */
  readonly grade: number;
  readonly state: LearnerState;
  readonly completedAt?: Date;
  readonly lastWatchedAt?: Date;
  readonly sync: SyncState;
  readonly syncError?: string;
  readonly syncAttempts: number;
  /** What `sync` is about: a score for the LMS's gradebook, or a DingTalk completion notice. */
  readonly syncVia?: 'grade' | 'notice';
}

export interface ProgressFilter {
  readonly tenantId: string;
  /** A course; absent for a tenant-wide (admin) view. */
  readonly contextId?: string;
  readonly lessonId?: string;
  readonly state?: LearnerState;
  readonly sync?: SyncState;
  readonly search?: string;
}

/** A lesson's audience second by second. */
export interface Engagement {
  readonly durationSec: number;
  /** Learners with any watching recorded. */
  readonly learners: number;
  /** How many of them played each second, and how many played it more than once. */
  readonly audience: readonly number[];
  readonly rewatched: readonly number[];
}

/** NRPS roles come as URIs or, from Moodle, as short names. */
const LEARNER_ROLE = '(^|#|/)Learner$';

/** Progress for the dashboard: always within one tenant, and one course for instructors. */
export class ProgressRepository {
  constructor(private readonly db: Db) {}

  async list(f: ProgressFilter): Promise<LearnerProgress[]> {
    const { rows } = await this.db.query<{
      lesson_id: string;
      title: string;
      context_id: string;
      user_id: string;
      name: string | null;
      coverage: number | null;
      completed_at: Date | null;
      last_watched_at: Date | null;
      status: SyncState | null;
      last_error: string | null;
      attempts: number | null;
      course: string | null;
      via: 'grade' | 'notice' | null;
      question_earned: number | null;
      question_total: number | null;
      watching_weight: number | null;
    }>(
      `WITH scoped AS (
         SELECT l.*, c.title AS course,
                CASE WHEN jsonb_array_length(COALESCE(q.question_set->'questions', '[]')) > 0
                       OR jsonb_array_length(COALESCE(v.narration->'questions', '[]')) > 0
                  THEN COALESCE((q.question_set->>'watchingWeight')::float, $4) END AS watching_weight
         FROM lessons l
         LEFT JOIN lti_contexts c ON c.tenant_id = l.tenant_id AND c.context_id = l.context_id
         LEFT JOIN lesson_questions q ON q.lesson_id = l.id
         LEFT JOIN renders pr ON pr.id = l.published_render_id
         LEFT JOIN lesson_versions v ON v.id = pr.version_id
         WHERE l.tenant_id = $1 AND ($2::text IS NULL OR l.context_id = $2) AND ($3::text IS NULL OR l.id = $3))
       SELECT l.id AS lesson_id, l.title, l.context_id, w.user_id, COALESCE(m.name, w.user_name) AS name,
              w.coverage, w.completed_at, w.last_watched_at,
              COALESCE(g.status, CASE WHEN d.status IN ('pending', 'sent') THEN 'pending'
                WHEN d.status IN ('unknown', 'summarized') THEN 'delivered' ELSE d.status END)
                AS status,
              COALESCE(g.last_error, d.last_error) AS last_error, COALESCE(g.attempts, d.attempts) AS attempts,
              l.course, CASE WHEN g.status IS NOT NULL THEN 'grade' WHEN d.status IS NOT NULL THEN 'notice' END AS via,
              w.question_earned, w.question_total, l.watching_weight
       FROM scoped l JOIN watch_progress w ON w.lesson_id = l.id
       LEFT JOIN grade_outbox g ON g.lesson_id = w.lesson_id AND g.user_id = w.user_id
       LEFT JOIN course_members m ON m.tenant_id = l.tenant_id AND m.context_id = l.context_id
         AND m.user_id = w.user_id
       -- DingTalk learners: their completion goes back as a work notice, not a score.
       LEFT JOIN dingtalk_notices d ON d.kind = 'completion' AND d.lesson_id = w.lesson_id
         AND d.user_key = w.user_id
       UNION ALL
       SELECT l.id, l.title, l.context_id, a.user_key, COALESCE(u.name, a.userid), NULL, NULL, NULL, NULL,
              NULL, NULL, l.course, NULL, NULL, NULL, l.watching_weight
       FROM scoped l JOIN dingtalk_assignees a ON a.lesson_id = l.id
       LEFT JOIN dingtalk_users u ON u.user_key = a.user_key
       WHERE u.left_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM watch_progress w WHERE w.lesson_id = l.id AND w.user_id = a.user_key)
       UNION ALL
       SELECT l.id, l.title, l.context_id, m.user_id, m.name, NULL, NULL, NULL, NULL, NULL, NULL, l.course,
              NULL, NULL, NULL, l.watching_weight
       FROM scoped l JOIN course_members m ON m.tenant_id = l.tenant_id AND m.context_id = l.context_id
       WHERE l.published_render_id IS NOT NULL AND m.status = 'Active'
         AND EXISTS (SELECT 1 FROM unnest(m.roles) r WHERE r ~ '${LEARNER_ROLE}')
         AND NOT EXISTS (SELECT 1 FROM watch_progress w WHERE w.lesson_id = l.id AND w.user_id = m.user_id)
       ORDER BY 2, 5 NULLS LAST, 4`,
      [f.tenantId, f.contextId ?? null, f.lessonId ?? null, DEFAULT_WATCHING_WEIGHT],
    );
    const search = f.search?.trim().toLowerCase();
    return rows
      .map((r): LearnerProgress => ({
        lessonId: r.lesson_id,
        lessonTitle: r.title,
        contextId: r.context_id,
        course: r.course ?? r.context_id,
        userId: r.user_id,
        name: r.name ?? r.user_id,
        coverage: r.coverage ?? 0,
        ...(r.question_total !== null && {
          questions: { earned: r.question_earned ?? 0, total: r.question_total },
        }),
        grade: gradeOf(
          r.coverage ?? 0,
          r.watching_weight === null ? undefined : { watchingWeight: r.watching_weight, passThreshold: 0 },
          r.question_total ? (r.question_earned ?? 0) / r.question_total : 0,
        ),
        state: r.completed_at ? 'completed' : r.coverage === null ? 'not-started' : 'in-progress',
        completedAt: r.completed_at ?? undefined,
        lastWatchedAt: r.last_watched_at ?? undefined,
        sync: r.status ?? 'none',
        syncError: r.last_error ?? undefined,
        syncAttempts: r.attempts ?? 0,
        syncVia: r.via ?? undefined,
      }))
      .filter(
        (p) =>
          (!f.state || p.state === f.state) &&
          (!f.sync || p.sync === f.sync) &&
          (!search || p.name.toLowerCase().includes(search) || p.userId.toLowerCase().includes(search)),
      );
  }

  /** A learner's standing on a lesson, to resume where they left off. */
  async standing(
    lessonId: string,
    userId: string,
  ): Promise<{ coverage: number; completed: boolean; position: number } | undefined> {
    const { rows } = await this.db.query<{ coverage: number; completed: boolean; position_sec: number }>(
      `SELECT coverage, completed_at IS NOT NULL AS completed, position_sec FROM watch_progress
       WHERE lesson_id = $1 AND user_id = $2`,
      [lessonId, userId],
    );
    const r = rows[0];
    return r && { coverage: r.coverage, completed: r.completed, position: r.position_sec };
  }

  /**
   * Who watched each second of the lesson and who went back to it, from its learners' merged
   * intervals (the course's, for an instructor): where learners drop off, and what they rewatch.
   */
  async engagement(tenantId: string, contextId: string | undefined, lessonId: string): Promise<Engagement> {
    const { rows } = await this.db.query<{
      intervals: Interval[];
      rewatched: Interval[];
      duration: number | null;
    }>(
      `SELECT w.intervals, w.rewatched, (r.result->>'durationSec')::float AS duration
       FROM lessons l JOIN watch_progress w ON w.lesson_id = l.id
       LEFT JOIN renders r ON r.id = l.published_render_id
       WHERE l.tenant_id = $1 AND ($2::text IS NULL OR l.context_id = $2) AND l.id = $3`,
      [tenantId, contextId ?? null, lessonId],
    );
    const durationSec = rows[0]?.duration ?? 0;
    return {
      durationSec,
      learners: rows.length,
      audience: perSecond(
        rows.map((r) => r.intervals),
        durationSec,
      ),
      rewatched: perSecond(
        rows.map((r) => r.rewatched),
        durationSec,
      ),
    };
  }

  /** Lessons to filter by: the course's, or the whole tenant's. */
  async lessons(tenantId: string, contextId?: string): Promise<{ id: string; title: string }[]> {
    const { rows } = await this.db.query<{ id: string; title: string }>(
      `SELECT id, title FROM lessons WHERE tenant_id = $1 AND ($2::text IS NULL OR context_id = $2)
       ORDER BY title`,
      [tenantId, contextId ?? null],
    );
    return rows;
  }

  /** Tenants with lessons, for the admin's tenant picker. */
  async tenants(): Promise<{ id: string; name: string }[]> {
    const { rows } = await this.db.query<{ id: string; name: string }>(
      `SELECT t.id, t.name FROM tenants t WHERE EXISTS (SELECT 1 FROM lessons l WHERE l.tenant_id = t.id)
       ORDER BY t.name`,
    );
    return rows;
  }

  /** Completions per day (of the filtered rows), for the chart. */
  static completionsByDay(rows: readonly LearnerProgress[]): { day: string; count: number }[] {
    const days = new Map<string, number>();
    for (const r of rows)
      if (r.completedAt) {
        const day = r.completedAt.toISOString().slice(0, 10);
        days.set(day, (days.get(day) ?? 0) + 1);
      }
    return [...days].sort(([a], [b]) => a.localeCompare(b)).map(([day, count]) => ({ day, count }));
  }
}
