import type { Score, ScoreTarget } from '../../../adapters/lms-adapter.js';
import type { PoolClient } from 'pg';
import type { Db } from '../db/database.js';
import type { GradeKey } from './grade-key.js';

/** Which refused scores to send again: a platform's, a tenant's or course's, a lesson's or one learner's. */
export interface ResendScope {
  readonly platformId?: string;
  readonly tenantId?: string;
  readonly contextId?: string;
  readonly lessonId?: string;
  readonly userId?: string;
}

/** A score due to a learner's LMS, written to the outbox in the transaction that decided it. */
export interface DueScore extends GradeKey {
  readonly tenantId: string;
  readonly platformId: string;
  readonly score: Score;
  readonly target: ScoreTarget;
}

/** A score taken for delivery: the newest version at the time it was claimed. */
export interface ClaimedGrade extends GradeKey {
  readonly version: number;
  readonly platformId: string;
  readonly score: Score;
  readonly target: ScoreTarget;
}

/**
 * The grade outbox (`grade_outbox`): scores staged by the progress ingest, then delivered. A delivery claims a learner's row under a lease (so two workers never
 * post the same learner's score at once), posts the newest version, and marks that version
 * delivered; if a newer one arrived meanwhile the row stays pending and is delivered next.
 */
export class GradeOutbox {
  constructor(
    private readonly db: Db,
    private readonly leaseSec = 60,
  ) {}

  /**
   * Writes due scores inside the caller's transaction (the heartbeats' that earned them): a newer
   * score for the same learner and lesson replaces the one not yet delivered, as a new version.
   */
  async stage(c: PoolClient, due: readonly DueScore[]): Promise<void> {
    if (!due.length) return;
    await c.query({
      name: 'grade-outbox-stage',
      text: `INSERT INTO grade_outbox (lesson_id, user_id, tenant_id, platform_id, score, target, status)
         SELECT x.lesson_id, x.user_id, x.tenant_id, x.platform_id, x.score, x.target, 'pending'
         FROM jsonb_to_recordset($1::jsonb) AS x(lesson_id text, user_id text, tenant_id text,
           platform_id text, score jsonb, target jsonb)
         ON CONFLICT (lesson_id, user_id) DO UPDATE SET version = grade_outbox.version + 1,
           score = EXCLUDED.score, target = EXCLUDED.target, status = 'pending', updated_at = now()`,
      values: [
        JSON.stringify(
          due.map((d) => ({
            lesson_id: d.lessonId,
            user_id: d.userId,
            tenant_id: d.tenantId,
            platform_id: d.platformId,
            score: d.score,
            target: d.target,
          })),
        ),
      ],
    });
  }

  async claim(key: GradeKey): Promise<ClaimedGrade | undefined> {
    const { rows } = await this.db.query<{
      version: number;
      platform_id: string;
      score: Score;
      target: ScoreTarget;
    }>(
      `UPDATE grade_outbox SET lease_until = now() + make_interval(secs => $3), attempts = attempts + 1
       WHERE lesson_id = $1 AND user_id = $2 AND status = 'pending'
         AND (lease_until IS NULL OR lease_until < now())
       RETURNING version, platform_id, score, target`,
      [key.lessonId, key.userId, this.leaseSec],
    );
    const r = rows[0];
    return r && { ...key, version: r.version, platformId: r.platform_id, score: r.score, target: r.target };
  }

  /** Marks `version` delivered; true when a newer version is waiting. */
  async delivered(g: ClaimedGrade): Promise<boolean> {
    const { rows } = await this.db.query<{ status: string }>(
      `UPDATE grade_outbox SET delivered_version = $3, delivered_at = now(), lease_until = NULL,
         last_error = NULL, status = CASE WHEN version = $3 THEN 'delivered' ELSE 'pending' END
       WHERE lesson_id = $1 AND user_id = $2 RETURNING status`,
      [g.lessonId, g.userId, g.version],
    );
    return rows[0]?.status === 'pending';
  }

  /** The LMS refused `version` for good: kept with the reason, unless a newer one may fare better. */
  async refused(g: ClaimedGrade, reason: string): Promise<boolean> {
    const { rows } = await this.db.query<{ status: string }>(
      `UPDATE grade_outbox SET last_error = $4, lease_until = NULL,
         status = CASE WHEN version = $3 THEN 'failed' ELSE 'pending' END
       WHERE lesson_id = $1 AND user_id = $2 RETURNING status`,
      [g.lessonId, g.userId, g.version, reason.slice(0, 500)],
    );
    return rows[0]?.status === 'pending';
  }

  /** Not delivered this time (LMS down, 5xx, timeout): released for the next attempt. */
  async postponed(g: ClaimedGrade, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE grade_outbox SET last_error = $3, lease_until = NULL WHERE lesson_id = $1 AND user_id = $2`,
      [g.lessonId, g.userId, reason.slice(0, 500)],
    );
  }

  /**
   * Refused scores in `scope` become pending again (the LMS or its settings were fixed): their newest
   * version goes out next. Answers the learners to queue. A scope must name a platform or a tenant.
   */
  async reopen(scope: ResendScope): Promise<GradeKey[]> {
    if (!scope.platformId && !scope.tenantId) throw new Error('a resend names a platform or a tenant');
    const { rows } = await this.db.query<{ lesson_id: string; user_id: string }>(
      `UPDATE grade_outbox g SET status = 'pending', lease_until = NULL, updated_at = now()
       WHERE g.status = 'failed'
         AND ($1::text IS NULL OR g.platform_id = $1) AND ($2::text IS NULL OR g.tenant_id = $2)
         AND ($3::text IS NULL OR EXISTS
               (SELECT 1 FROM lessons l WHERE l.id = g.lesson_id AND l.context_id = $3))
         AND ($4::text IS NULL OR g.lesson_id = $4) AND ($5::text IS NULL OR g.user_id = $5)
       RETURNING lesson_id, user_id`,
      [
        scope.platformId ?? null,
        scope.tenantId ?? null,
        scope.contextId ?? null,
        scope.lessonId ?? null,
        scope.userId ?? null,
      ],
    );
    return rows.map((r) => ({ lessonId: r.lesson_id, userId: r.user_id }));
  }

  /** Rows by status: the background page's backlog. */
  async backlog(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ status: string; n: string }>(
      `SELECT status, count(*) AS n FROM grade_outbox WHERE status <> 'delivered' GROUP BY status`,
    );
    return { pending: 0, failed: 0, ...Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) };
  }

  /** How many refused scores each platform has (for the admin's platform list). */
  async failedByPlatform(): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ platform_id: string; n: string }>(
      `SELECT platform_id, count(*) AS n FROM grade_outbox WHERE status = 'failed' GROUP BY platform_id`,
    );
    return new Map(rows.map((r) => [r.platform_id, Number(r.n)]));
  }

  /** Whether a score of this learner's is waiting and nobody holds it. */
  async isUnclaimed(key: GradeKey): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `SELECT 1 FROM grade_outbox WHERE lesson_id = $1 AND user_id = $2 AND status = 'pending'
         AND (lease_until IS NULL OR lease_until < now())`,
      [key.lessonId, key.userId],
    );
    return rowCount === 1;
  }

  /** Pending scores nobody holds: the relay puts them (back) on the queue. */
  async unclaimed(limit = 1000): Promise<GradeKey[]> {
    const { rows } = await this.db.query<{ lesson_id: string; user_id: string }>(
      `SELECT lesson_id, user_id FROM grade_outbox
       WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < now())
       ORDER BY updated_at LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ lessonId: r.lesson_id, userId: r.user_id }));
  }
}
