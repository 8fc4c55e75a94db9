import type { Db } from '../db/database.js';
import type { QuestionRule } from './grade-policy.js';
import { DEFAULT_PASS_THRESHOLD, DEFAULT_WATCHING_WEIGHT } from '../questions/question-set.js';

/** How a lesson is watched and graded: its length (of the version learners see) and its rule. */
export interface LessonGrading {
  readonly lessonId: string;
  readonly title: string;
  readonly durationSec: number;
  readonly scoreMaximum: number;
  readonly completionThreshold: number;
  /** How its questions weigh in the grade; absent for a lesson without questions. */
  readonly questions?: QuestionRule;
}

/**
 * Lesson grading for the heartbeat path, kept a few seconds in memory: heartbeats come by the
 * thousand a second and a lesson's rule changes rarely (a new version or threshold shows within `ttlMs`).
 * One query per lesson at a time: heartbeats that miss together share it, and once a lesson is known
 * an expired entry is still answered while one refresh runs behind it, so no heartbeat waits for it
 * (a herd of identical queries every `ttlMs` would stall the whole path).
 */
export class LessonGradingCache {
  private readonly cache = new Map<string, { value: Promise<LessonGrading | undefined>; until: number }>();

  constructor(
    private readonly db: Db,
    private readonly ttlMs = 10_000,
    /** The clock (tests move their own). */
    private readonly now: () => number = Date.now,
  ) {}

  get(tenantId: string, lessonId: string): Promise<LessonGrading | undefined> {
    const key = `${tenantId} ${lessonId}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > this.now()) return hit.value;
    const fresh = this.load(tenantId, lessonId);
    if (this.cache.size > 10_000) this.cache.clear();
    const entry = { value: fresh, until: this.now() + this.ttlMs };
    this.cache.set(key, entry);
    // A failed load is not kept: the next heartbeat tries again.
    fresh.catch(() => {
      if (this.cache.get(key) === entry) this.cache.delete(key);
    });
    if (!hit) return fresh;
    // Known before: answer from the last value while the refresh runs; it takes over when it lands.
    const stale = hit.value;
    entry.value = stale;
    fresh.then(
      () => {
        entry.value = fresh;
      },
      () => {},
    );
    return stale;
  }

  private async load(tenantId: string, lessonId: string): Promise<LessonGrading | undefined> {
    const { rows } = await this.db.query<{
      id: string;
      title: string;
      score_maximum: number;
      completion_threshold: number;
      duration: number | null;
      watching_weight: number | null;
      pass_threshold: number | null;
    }>(
      `SELECT l.id, l.title, l.score_maximum, l.completion_threshold,
              (r.result->>'durationSec')::float AS duration,
              CASE WHEN jsonb_array_length(COALESCE(q.question_set->'questions', '[]')) > 0
                     OR jsonb_array_length(COALESCE(v.narration->'questions', '[]')) > 0
                THEN COALESCE((q.question_set->>'watchingWeight')::float, $3) END AS watching_weight,
              COALESCE((q.question_set->>'passThreshold')::float, $4) AS pass_threshold
       FROM lessons l LEFT JOIN renders r ON r.id = l.published_render_id
         LEFT JOIN lesson_versions v ON v.id = r.version_id
         LEFT JOIN lesson_questions q ON q.lesson_id = l.id
       WHERE l.tenant_id = $1 AND l.id = $2`,
      [tenantId, lessonId, DEFAULT_WATCHING_WEIGHT, DEFAULT_PASS_THRESHOLD],
    );
    const r = rows[0];
    return r
      ? {
          lessonId: r.id,
          title: r.title,
          durationSec: r.duration ?? 0,
          scoreMaximum: r.score_maximum,
          completionThreshold: r.completion_threshold,
          ...(r.watching_weight !== null && {
            questions: { watchingWeight: r.watching_weight, passThreshold: r.pass_threshold ?? 0 },
          }),
        }
      : undefined;
  }
}
