import type { PoolClient } from 'pg';
import type { Db } from '../db/database.js';
import { GroupCommit, type BatchResult, type GroupCommitOptions } from '../db/group-commit.js';
import type { GradeKey } from '../grades/grade-key.js';
import type { DueScore, GradeOutbox } from '../grades/grade-outbox.js';
import type { LtiSession } from '../lti/lti-sessions.js';
import { coverageOf, coveredSec, creditable, intersect, mergeIntervals } from './coverage.js';
import { gradeComment, gradeOf, isComplete, scoreFor } from './grade-policy.js';
import { isPlaying, type Heartbeat, type WatchStanding } from './heartbeat.js';
import type { LessonGrading } from './lesson-grading.js';
import { scoreTargetOf } from './score-target.js';
import { learnerCompleted, NO_EVENTS, type EventSink } from '../webhooks/webhook-events.js';
import type { WebhookEvent } from '../webhooks/webhook-event-types.js';
import {
  inLockOrder,
  learnerKey,
  type ProgressRow,
  type ProgressUpdate,
  type WatchStore,
} from './watch-store.js';

/** A heartbeat with who sent it (from its launch session) and the lesson's rule. */
export interface SessionHeartbeat {
  readonly sessionSha: string;
  readonly session: LtiSession;
  readonly lesson: LessonGrading;
  readonly heartbeat: Heartbeat;
}

export interface IngestOptions extends GroupCommitOptions {
  /** Told after commit which scores were put in the outbox, to deliver them now. */
  readonly onScored: (keys: GradeKey[]) => void;
  /** Told after commit which learners completed a lesson just now (to report it to their LMS). */
  readonly onCompleted?: (keys: GradeKey[]) => void;
  /** Where completions are reported as events (webhooks), in the heartbeats' transaction. */
  readonly events?: EventSink;
}

/**
 * Watching is credited against the clock, and only the clock of a playing player: the time between a
 * heartbeat sent while playing and the next heartbeat of the same launch earns MAX_RATE times itself
 * (fast playback), at most MAX_GAP_SEC of it (a playing player reports every 5 s; a longer silence is
 * idling, not watching). New ground is granted only while that credit lasts; a learner starts with
 * SLACK_SEC (the seconds before a player's first report) and banks at most CREDIT_CAP_SEC.
 */
const MAX_RATE = 2;
const MAX_GAP_SEC = 15;
export const SLACK_SEC = 10;
const CREDIT_CAP_SEC = 60;

/** A heartbeat of the batch. */
interface Item {
  readonly hb: SessionHeartbeat;
}

/**
 * Takes heartbeats into PostgreSQL by group commit: those arriving within `flushMs` share one
 * transaction of a handful of statements, whatever their number, which is what lets one instance
 * take thousands a second. In that transaction: heartbeats already seen (session, seq) are dropped,
 * the learner's intervals are merged into coverage under a row lock (so instances never overwrite
 * each other), completion is decided, and a score, if one is due, is written to the outbox. A
 * heartbeat is answered only once its transaction committed.
 */
export class ProgressIngest extends GroupCommit<SessionHeartbeat, WatchStanding> {
  constructor(
    db: Db,
    private readonly store: WatchStore,
    private readonly outbox: GradeOutbox,
    private readonly o: IngestOptions,
  ) {
    super(db, o);
  }

  protected async write(
    c: PoolClient,
    heartbeats: readonly SessionHeartbeat[],
  ): Promise<BatchResult<WatchStanding>> {
    // Each its own object, so the same heartbeat sent twice in a batch is still answered twice.
    const batch: Item[] = heartbeats.map((hb) => ({ hb }));
    // One learner-and-lesson per group, in the lock order every transaction takes (heartbeats
    // first, then learners): concurrent batches wait for each other but never deadlock.
    const learners = inLockOrder(batch, (w) => ({
      lessonId: w.hb.lesson.lessonId,
      userId: w.hb.session.userId,
    }));
    const firsts = learners.map(([, group]) => group[0]!.hb);
    const seen = batch
      .map((w) => ({ sha: w.hb.sessionSha, seq: w.hb.heartbeat.seq }))
      .sort((a, b) => (a.sha < b.sha ? -1 : a.sha > b.sha ? 1 : a.seq - b.seq));
    // Heartbeats already seen are told apart; each learner's row is made if new, locked and read.
    const { fresh, learners: rows } = await this.store.take(
      c,
      seen,
      firsts.map((h) => ({
        lessonId: h.lesson.lessonId,
        userId: h.session.userId,
        tenantId: h.session.tenantId,
        contextId: h.session.contextId,
        platformId: h.session.platformId,
        userName: h.session.userName,
        durationSec: h.lesson.durationSec,
      })),
    );
    const isFresh = new Set(fresh.map(([sha, seq]) => `${sha} ${seq}`));
    const rowOf = new Map(rows.map((r) => [learnerKey(r.lesson_id, r.user_id), r]));

    const now = new Date();
    const updates: ProgressUpdate[] = [];
    const due: DueScore[] = [];
    const standingOf = new Map<Item, WatchStanding>();
    const completedNow: GradeKey[] = [];
    const completions: WebhookEvent[] = [];
    for (const [k, group] of learners) {
      const { lesson, session } = group[0]!.hb;
      const row = rowOf.get(k)!;
      const duration = lesson.durationSec;
      const previous = mergeIntervals(row.intervals, duration);
      const fresh = group.filter((w) => isFresh.has(`${w.hb.sessionSha} ${w.hb.heartbeat.seq}`));
      const clock = creditClock(row, fresh);
      const played = fresh.flatMap((w) => w.hb.heartbeat.intervals);
      const merged = creditable(previous, mergeIntervals([...previous, ...played], duration), clock.credit);
      const credit = Math.max(0, clock.credit - (coveredSec(merged) - coveredSec(previous)));
      // Played again: what of this batch the learner had played before (for the engagement chart).
      const again = intersect(mergeIntervals(played, duration), previous);
      const rewatched = again.length ? mergeIntervals([...row.rewatched, ...again], duration) : row.rewatched;
      const coverage = coverageOf(merged, duration);
      // A lesson with questions weighs in the learner's points as of their last answer.
      const rule = lesson.questions;
      const earned = row.question_earned ?? 0;
      const total = row.question_total ?? 0;
      const questionScore = total > 0 ? earned / total : 0;
      const completed =
        row.completed ||
        (duration > 0 && isComplete(coverage, lesson.completionThreshold, rule, questionScore));
      if (completed && !row.completed)
        completedNow.push({ lessonId: lesson.lessonId, userId: session.userId });
      const latest = group.reduce((a, b) => (b.hb.heartbeat.seq >= a.hb.heartbeat.seq ? b : a));
      const position = Math.min(latest.hb.heartbeat.position, duration || Infinity);
      const grade = gradeOf(coverage, rule, questionScore);
      if (completed && !row.completed)
        completions.push(learnerCompleted(session, lesson.lessonId, grade, now));
      const score = session.launch.ags
        ? scoreFor(
            {
              grade: gradeOf(row.coverage, rule, questionScore),
              completed: row.completed,
              scoredPercent: row.scored_percent,
            },
            { grade, completed, scoredPercent: row.scored_percent },
            session.userId,
            lesson.scoreMaximum,
            now,
            { comment: rule && gradeComment(coverage, earned, total) },
          )
        : undefined;
      updates.push({
        lessonId: lesson.lessonId,
        userId: session.userId,
        intervals: merged,
        rewatched,
        coverage,
        position,
        duration,
        completed,
        scoredPercent: score ? Math.floor(grade * 100) : row.scored_percent,
        credit,
        lastSessionSha: clock.session,
        lastHeartbeatAt: clock.at,
        lastPlaying: clock.playing,
      });
      if (score)
        due.push({
          lessonId: lesson.lessonId,
          userId: session.userId,
          tenantId: session.tenantId,
          platformId: session.platformId,
          score,
          target: scoreTargetOf(session, lesson.title),
        });
      for (const w of group) standingOf.set(w, { coverage, completed, position, grade });
    }
    // The learners' progress and their due scores, in the heartbeats' transaction.
    await this.store.save(c, updates);
    await this.outbox.stage(c, due);
    const announce = await (this.o.events ?? NO_EVENTS).add(c, completions);
    const scored = due.map((d) => ({ lessonId: d.lessonId, userId: d.userId }));
    return {
      outcomes: batch.map((w) => standingOf.get(w)!),
      committed: () => {
        if (scored.length) this.o.onScored(scored);
        if (completedNow.length) this.o.onCompleted?.(completedNow);
        announce();
      },
    };
  }
}

/**
 * The learner's credit after this batch's fresh heartbeats, in the order they came: each heartbeat
 * earns the time since the one before it, when that one came from the same launch while playing.
 * The heartbeats of one batch share the transaction's clock (`now`), so only the first can earn.
 */
function creditClock(
  row: ProgressRow,
  fresh: readonly Item[],
): { credit: number; session: string | null; at: number | null; playing: boolean } {
  let {
    credit_sec: credit,
    last_session_sha256: session,
    last_heartbeat_at: at,
    last_playing: playing,
  } = row;
  for (const w of fresh) {
    if (playing && at !== null && w.hb.sessionSha === session && credit < CREDIT_CAP_SEC)
      credit = Math.min(CREDIT_CAP_SEC, credit + MAX_RATE * Math.min(MAX_GAP_SEC, Math.max(0, row.now - at)));
    session = w.hb.sessionSha;
    at = row.now;
    playing = isPlaying(w.hb.heartbeat);
  }
  return { credit, session, at, playing };
}
