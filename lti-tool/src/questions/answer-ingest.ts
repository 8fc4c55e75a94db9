import type { PoolClient } from 'pg';
import type { Db } from '../db/database.js';
import { GroupCommit, type BatchResult, type GroupCommitOptions } from '../db/group-commit.js';
import type { GradeKey } from '../grades/grade-key.js';
import type { DueScore, GradeOutbox } from '../grades/grade-outbox.js';
import type { LtiSession } from '../lti/lti-sessions.js';
import { gradeComment, gradeOf, isComplete, scoreFor } from '../progress/grade-policy.js';
import type { LessonGrading } from '../progress/lesson-grading.js';
import { scoreTargetOf } from '../progress/score-target.js';
import { inLockOrder, learnerKey, type QuestionsUpdate, type WatchStore } from '../progress/watch-store.js';
import { ApiError } from '../web/api-error.js';
import type { Answer, Checked } from './answer-check.js';
import type { AnswerRepository, NewAnswer, StoredAnswer } from './answer-repository.js';
import { questionStanding, type QuestionStanding } from './question-score.js';
import { learnerCompleted, NO_EVENTS, type EventSink } from '../webhooks/webhook-events.js';
import type { WebhookEvent } from '../webhooks/webhook-event-types.js';
import type { LessonQuestionSet } from './question-set.js';

/** An answer checked and ready to keep: who gave it, to what, and what it was worth. */
export interface PendingAnswer {
  readonly session: LtiSession;
  readonly sessionSha: string;
  readonly lesson: LessonGrading;
  readonly set: LessonQuestionSet;
  readonly key: string;
  readonly attempt: number;
  readonly answer: Answer;
  readonly checked: Checked;
  readonly secondsToAnswer?: number;
}

/** What became of an answer: new or a replay, and the learner's answers and standing after it. */
export interface AnswerOutcome {
  readonly replay: boolean;
  readonly all: readonly StoredAnswer[];
  /** The learner's standing on the questions after the batch, when it took a new answer of theirs. */
  readonly standing?: QuestionStanding;
  readonly completed: boolean;
  readonly justCompleted: boolean;
}

export interface AnswerIngestOptions extends GroupCommitOptions {
  /** Told after commit which scores were put in the outbox, to deliver them now. */
  readonly onScored: (keys: GradeKey[]) => void;
  /** Told after commit which learners completed a lesson just now. */
  readonly onCompleted: (keys: GradeKey[]) => void;
  /** Where completions are reported as events (webhooks), in the answers' transaction. */
  readonly events?: EventSink;
}

/** An answer of the batch. */
interface Item {
  readonly a: PendingAnswer;
}

/**
 * Takes answers into PostgreSQL by group commit (`db/group-commit.ts`), as the heartbeats' ingest
 * does: answers arriving within `flushMs` share one transaction of five statements, whatever their number. In it the
 * learners' progress rows are made if new and locked (in the one order every transaction takes them,
 * so heartbeats and answers wait for each other but never deadlock), their answers read, each new
 * answer checked against them (a replay is recognised, a skipped or taken attempt refused), the new
 * ones stored, each learner's points, completion and grade written, and their scores staged in the
 * grade outbox. An answer is answered once its transaction committed; a refusal refuses that answer only.
 */
export class AnswerIngest extends GroupCommit<PendingAnswer, AnswerOutcome> {
  constructor(
    db: Db,
    private readonly d: {
      readonly store: Pick<WatchStore, 'take' | 'saveQuestions'>;
      readonly answers: Pick<AnswerRepository, 'ofLearners' | 'add'>;
      readonly outbox: Pick<GradeOutbox, 'stage'>;
    },
    private readonly o: AnswerIngestOptions,
  ) {
    super(db, o);
  }

  protected async write(
    c: PoolClient,
    answers: readonly PendingAnswer[],
  ): Promise<BatchResult<AnswerOutcome>> {
    const batch: Item[] = answers.map((a) => ({ a }));
    const groups = inLockOrder(batch, (w) => ({ lessonId: w.a.lesson.lessonId, userId: w.a.session.userId }));
    const firsts = groups.map(([, group]) => group[0]!.a);
    const { learners } = await this.d.store.take(
      c,
      [],
      firsts.map((a) => ({
        lessonId: a.lesson.lessonId,
        userId: a.session.userId,
        tenantId: a.session.tenantId,
        contextId: a.session.contextId,
        platformId: a.session.platformId,
        userName: a.session.userName,
        durationSec: a.lesson.durationSec,
      })),
    );
    const rowOf = new Map(learners.map((r) => [learnerKey(r.lesson_id, r.user_id), r]));
    const given = await this.d.answers.ofLearners(
      c,
      firsts.map((a) => ({
        tenantId: a.session.tenantId,
        lessonId: a.lesson.lessonId,
        userId: a.session.userId,
      })),
    );

    const now = new Date();
    const outcomeOf = new Map<Item, AnswerOutcome | Error>();
    const fresh: NewAnswer[] = [];
    const updates: QuestionsUpdate[] = [];
    const due: DueScore[] = [];
    const scored: GradeKey[] = [];
    const completedNow: GradeKey[] = [];
    const completions: WebhookEvent[] = [];
    for (const [k, group] of groups) {
      const { session, lesson, set } = group[0]!.a;
      const row = rowOf.get(k)!;
      const all = [...(given.get(k) ?? [])];
      const replays: Item[] = [];
      const added: Item[] = [];
      for (const w of group) {
        const mine = all.filter((x) => x.key === w.a.key);
        const replayed = mine.find((x) => x.attempt === w.a.attempt);
        if (replayed) {
          // The same answer sent again (a retry after a lost reply): answered as the first time.
          if (JSON.stringify(replayed.answer) === JSON.stringify(w.a.answer)) replays.push(w);
          else outcomeOf.set(w, new ApiError(409, 'ATTEMPT_TAKEN', 'This attempt was answered already.'));
        } else if (w.a.attempt !== mine.length + 1)
          outcomeOf.set(
            w,
            new ApiError(409, 'ATTEMPT_OUT_OF_ORDER', `The next attempt is ${mine.length + 1}.`),
          );
        else {
          all.push({ key: w.a.key, attempt: w.a.attempt, ...w.a.checked, answer: w.a.answer });
          fresh.push({
            tenantId: session.tenantId,
            lessonId: lesson.lessonId,
            userId: session.userId,
            key: w.a.key,
            attempt: w.a.attempt,
            answer: w.a.answer,
            correct: w.a.checked.correct,
            points: w.a.checked.points,
            secondsToAnswer: w.a.secondsToAnswer,
            sessionSha: w.a.sessionSha,
          });
          added.push(w);
        }
      }
      let completed = row.completed;
      let standing: QuestionStanding | undefined;
      if (added.length) {
        const rule = { watchingWeight: set.watchingWeight, passThreshold: set.passThreshold };
        standing = questionStanding(set, all);
        completed =
          row.completed ||
          (lesson.durationSec > 0 &&
            isComplete(row.coverage, lesson.completionThreshold, rule, standing.score));
        const grade = gradeOf(row.coverage, rule, standing.score);
        const prior = row.question_total ? (row.question_earned ?? 0) / row.question_total : 0;
        // An answer is a change the learner made on purpose: it always goes to the gradebook.
        const score = session.launch.ags
          ? scoreFor(
              {
                grade: gradeOf(row.coverage, rule, prior),
                completed: row.completed,
                scoredPercent: row.scored_percent,
              },
              { grade, completed, scoredPercent: row.scored_percent },
              session.userId,
              lesson.scoreMaximum,
              now,
              { always: true, comment: gradeComment(row.coverage, standing.earned, standing.total) },
            )
          : undefined;
        updates.push({
          lessonId: lesson.lessonId,
          userId: session.userId,
          earned: standing.earned,
          total: standing.total,
          completed,
          scoredPercent: score ? Math.floor(grade * 100) : row.scored_percent,
        });
        const gradeKey = { lessonId: lesson.lessonId, userId: session.userId };
        if (score) {
          due.push({
            ...gradeKey,
            tenantId: session.tenantId,
            platformId: session.platformId,
            score,
            target: scoreTargetOf(session, lesson.title),
          });
          scored.push(gradeKey);
        }
        if (completed && !row.completed) {
          completedNow.push(gradeKey);
          completions.push(learnerCompleted(session, lesson.lessonId, grade, now));
        }
      }
      for (const w of [...replays, ...added])
        outcomeOf.set(w, {
          replay: replays.includes(w),
          all,
          standing,
          completed,
          justCompleted: added.includes(w) && completed && !row.completed,
        });
    }
    await this.d.answers.add(c, fresh);
    await this.d.store.saveQuestions(c, updates);
    await this.d.outbox.stage(c, due);
    const announce = await (this.o.events ?? NO_EVENTS).add(c, completions);
    return {
      outcomes: batch.map((w) => outcomeOf.get(w)!),
      committed: () => {
        if (scored.length) this.o.onScored(scored);
        if (completedNow.length) this.o.onCompleted(completedNow);
        announce();
      },
    };
  }
}
