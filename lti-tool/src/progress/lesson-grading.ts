import type { Db } from '../db/database.js';

/** How a lesson is watched and graded: its length (of the version learners see) and its rule. */
export interface LessonGrading {
  readonly lessonId: string;
  readonly title: string;
  readonly durationSec: number;
  readonly scoreMaximum: number;
  readonly completionThreshold: number;
}

/**
 * Lesson grading for the heartbeat path, kept a few seconds in memory: heartbeats come by the
 * thousand a second and a lesson's rule changes rarely (a new version or threshold shows within `ttlMs`).
 */
export class LessonGradingCache {
  private readonly cache = new Map<string, { value: LessonGrading | undefined; until: number }>();

  constructor(
    private readonly db: Db,
    private readonly ttlMs = 10_000,
  ) {}

  async get(tenantId: string, lessonId: string): Promise<LessonGrading | undefined> {
    const key = `${tenantId} ${lessonId}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    const { rows } = await this.db.query<{
      id: string;
      title: string;
      score_maximum: number;
      completion_threshold: number;
      duration: number | null;
    }>(
      `SELECT l.id, l.title, l.score_maximum, l.completion_threshold,
              (r.result->>'durationSec')::float AS duration
       FROM lessons l LEFT JOIN renders r ON r.id = l.published_render_id
       WHERE l.tenant_id = $1 AND l.id = $2`,
      [tenantId, lessonId],
    );
    const r = rows[0];
    const value = r
      ? {
          lessonId: r.id,
          title: r.title,
          durationSec: r.duration ?? 0,
          scoreMaximum: r.score_maximum,
          completionThreshold: r.completion_threshold,
        }
      : undefined;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { value, until: Date.now() + this.ttlMs });
    return value;
  }
}
