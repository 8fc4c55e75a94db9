import type { PoolClient } from 'pg';
import type { Queryable } from '../db/database.js';
import type { Interval } from './coverage.js';

/** A heartbeat's identity: its launch (the session's digest) and its sequence number. */
export interface SeenHeartbeat {
  readonly sha: string;
  readonly seq: number;
}

/** Who is watching what, for a progress row made on their first heartbeat. */
export interface Watcher {
  readonly lessonId: string;
  readonly userId: string;
  readonly tenantId: string;
  readonly contextId: string;
  readonly platformId: string;
  readonly userName?: string;
  readonly durationSec: number;
}

/** A learner's progress row as a heartbeat batch finds it (locked for the batch's transaction). */
export interface ProgressRow {
  lesson_id: string;
  user_id: string;
  intervals: Interval[];
  coverage: number;
  position_sec: number;
  completed: boolean;
  scored_percent: number;
  last_session_sha256: string | null;
  last_heartbeat_at: number | null;
  last_playing: boolean;
  credit_sec: number;
  /** Points on the lesson's questions as of the learner's last answer; null before one. */
  question_earned: number | null;
  question_total: number | null;
  /** What of the lesson the learner played more than once. */
  rewatched: Interval[];
  /** The transaction's clock, in epoch seconds. */
  now: number;
}

/** A learner's standing after an answer: their points, and what the grade sent made of it. */
export interface QuestionsUpdate {
  readonly lessonId: string;
  readonly userId: string;
  readonly earned: number;
  readonly total: number;
  readonly completed: boolean;
  readonly scoredPercent: number;
}

/** A learner's progress after a batch. */
export interface ProgressUpdate {
  readonly lessonId: string;
  readonly userId: string;
  readonly intervals: readonly Interval[];
  readonly rewatched: readonly Interval[];
  readonly coverage: number;
  readonly position: number;
  readonly duration: number;
  readonly completed: boolean;
  readonly scoredPercent: number;
  readonly credit: number;
  readonly lastSessionSha: string | null;
  readonly lastHeartbeatAt: number | null;
  readonly lastPlaying: boolean;
}

/** A learner on a lesson, as `take` locks them. */
export const learnerKey = (lessonId: string, userId: string): string => `${lessonId}\n${userId}`;

/**
 * A batch's items by learner, in the one order every transaction takes learners' rows (byte order
 * of `learnerKey`), in this and any other instance: batches wait for each other but never deadlock.
 * Each group keeps its items in the order they came.
 */
export function inLockOrder<T>(
  items: readonly T[],
  learnerOf: (t: T) => { readonly lessonId: string; readonly userId: string },
): [key: string, group: T[]][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const { lessonId, userId } = learnerOf(item);
    const k = learnerKey(lessonId, userId);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Watching as stored (`watch_heartbeats`, `watch_progress`): written only inside the ingest's
 * transactions, a handful of statements per batch whatever its size, and an answer's (its points
 * are part of the learner's standing). Reads for the dashboards are `progress-repository.ts`.
 */
export class WatchStore {
  /**
   * Part of erasing a learner's data: their watching of every lesson of the tenant (their scores in
   * the grade outbox go with it, by its foreign key). Counted in lessons.
   */
  async forgetLearner(c: Queryable, tenantId: string, userId: string): Promise<number> {
    const { rowCount } = await c.query('DELETE FROM watch_progress WHERE tenant_id = $1 AND user_id = $2', [
      tenantId,
      userId,
    ]);
    return rowCount ?? 0;
  }

  /**
   * One statement: heartbeats already seen are told apart, and each learner's row is made if new,
   * locked and read (an upsert locks the row as FOR UPDATE would, and returns it).
   */
  async take(
    c: PoolClient,
    seen: readonly SeenHeartbeat[],
    watchers: readonly Watcher[],
  ): Promise<{ fresh: [string, number][]; learners: ProgressRow[] }> {
    const { rows } = await c.query<{ fresh: [string, number][]; learners: ProgressRow[] }>({
      name: 'progress-take',
      text: `WITH fresh AS (
           INSERT INTO watch_heartbeats (session_sha256, seq)
           SELECT * FROM unnest($1::text[], $2::int[]) ON CONFLICT DO NOTHING
           RETURNING session_sha256, seq
         ), learners AS (
           INSERT INTO watch_progress (lesson_id, user_id, tenant_id, context_id, platform_id, user_name,
             intervals, duration_sec, coverage)
           SELECT x.lesson_id, x.user_id, x.tenant_id, x.context_id, x.platform_id, x.user_name, '[]',
             x.duration, 0
           FROM jsonb_to_recordset($3::jsonb) AS x(lesson_id text, user_id text, tenant_id text,
             context_id text, platform_id text, user_name text, duration real)
           ON CONFLICT (lesson_id, user_id) DO UPDATE SET last_watched_at = now()
           RETURNING lesson_id, user_id, intervals, coverage, position_sec,
             completed_at IS NOT NULL AS completed, scored_percent, last_session_sha256,
             extract(epoch FROM last_heartbeat_at)::float AS last_heartbeat_at, last_playing, credit_sec,
             question_earned, question_total, rewatched, extract(epoch FROM now())::float AS now
         )
         SELECT (SELECT coalesce(json_agg(json_build_array(session_sha256, seq)), '[]') FROM fresh) AS fresh,
                (SELECT coalesce(json_agg(learners), '[]') FROM learners) AS learners`,
      values: [
        seen.map((h) => h.sha),
        seen.map((h) => h.seq),
        JSON.stringify(
          watchers.map((w) => ({
            lesson_id: w.lessonId,
            user_id: w.userId,
            tenant_id: w.tenantId,
            context_id: w.contextId,
            platform_id: w.platformId,
            user_name: w.userName ?? null,
            duration: w.durationSec,
          })),
        ),
      ],
    });
    return rows[0]!;
  }

  /** Writes the learners' progress after a batch (rows `take` locked in the same transaction). */
  async save(c: PoolClient, updates: readonly ProgressUpdate[]): Promise<void> {
    if (!updates.length) return;
    await c.query({
      name: 'progress-save',
      text: `UPDATE watch_progress w SET intervals = x.intervals, rewatched = x.rewatched, coverage = x.coverage,
           position_sec = x.position, duration_sec = x.duration, last_watched_at = now(),
           scored_percent = x.scored_percent,
           completed_at = CASE WHEN x.completed THEN COALESCE(w.completed_at, now()) END,
           credit_sec = x.credit, last_session_sha256 = x.last_session_sha256,
           last_heartbeat_at = to_timestamp(x.last_heartbeat_at), last_playing = x.last_playing
         FROM jsonb_to_recordset($1::jsonb) AS x(lesson_id text, user_id text, intervals jsonb, rewatched jsonb,
           coverage real, position real, duration real, completed boolean, scored_percent int,
           credit real, last_session_sha256 text, last_heartbeat_at float8, last_playing boolean)
         WHERE w.lesson_id = x.lesson_id AND w.user_id = x.user_id`,
      values: [
        JSON.stringify(
          updates.map((u) => ({
            lesson_id: u.lessonId,
            user_id: u.userId,
            intervals: u.intervals,
            rewatched: u.rewatched,
            coverage: u.coverage,
            position: u.position,
            duration: u.duration,
            completed: u.completed,
            scored_percent: u.scoredPercent,
            credit: u.credit,
            last_session_sha256: u.lastSessionSha,
            last_heartbeat_at: u.lastHeartbeatAt,
            last_playing: u.lastPlaying,
          })),
        ),
      ],
    });
  }

  /** Writes learners' points after their answers (rows `take` locked in the answers' transaction). */
  async saveQuestions(c: PoolClient, updates: readonly QuestionsUpdate[]): Promise<void> {
    if (!updates.length) return;
    await c.query({
      name: 'progress-save-questions',
      text: `UPDATE watch_progress w SET question_earned = x.earned, question_total = x.total,
           scored_percent = x.scored_percent,
           completed_at = CASE WHEN x.completed THEN COALESCE(w.completed_at, now()) END
         FROM jsonb_to_recordset($1::jsonb) AS x(lesson_id text, user_id text, earned real, total real,
           completed boolean, scored_percent int)
         WHERE w.lesson_id = x.lesson_id AND w.user_id = x.user_id`,
      values: [
        JSON.stringify(
          updates.map((u) => ({
            lesson_id: u.lessonId,
            user_id: u.userId,
            earned: u.earned,
            total: u.total,
            completed: u.completed,
            scored_percent: u.scoredPercent,
          })),
        ),
      ],
    });
  }
}
