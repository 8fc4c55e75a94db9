import type { Logger } from 'pino';
import { inTransaction, type Db } from '../db/database.js';
import type { GradeKey } from '../grades/grade-key.js';
import type { GradeOutbox } from '../grades/grade-outbox.js';
import type { LtiSession } from '../lti/lti-sessions.js';
import { gradeComment, gradeOf, isComplete, scoreFor } from '../progress/grade-policy.js';
import type { LessonGradingCache } from '../progress/lesson-grading.js';
import { scoreTargetOf } from '../progress/score-target.js';
import type { WatchStore } from '../progress/watch-store.js';
import { ApiError } from '../web/api-error.js';
import { answerFits, checkAnswer, type Answer } from './answer-check.js';
import type { AnswerRepository } from './answer-repository.js';
import {
  askedOf,
  inLanguage,
  questionKey,
  type AskedQuestion,
  type LessonQuestion,
  type LessonQuestionSet,
  type Question,
} from './question-set.js';
import type { QuestionRepository } from './question-repository.js';
import { questionStanding } from './question-score.js';

export interface AnswerServiceDeps {
  readonly db: Db;
  readonly questions: Pick<QuestionRepository, 'get'>;
  readonly answers: AnswerRepository;
  readonly store: WatchStore;
  readonly outbox: Pick<GradeOutbox, 'stage'>;
  readonly grading: Pick<LessonGradingCache, 'get'>;
  /** Told after commit that a score was put in the outbox, to deliver it now. */
  readonly onScored: (keys: GradeKey[]) => void;
  /** Told after commit that the learner completed the lesson with this answer. */
  readonly onCompleted: (keys: GradeKey[]) => void;
  readonly log: Logger;
}

/** A learner's answer as the player sends it: which attempt it is, so a replay is recognised. */
export interface GivenAnswerRequest {
  readonly question: string;
  readonly attempt: number;
  readonly answer: Answer;
  readonly secondsToAnswer?: number;
  /** The language version the learner watches: its words for the feedback. */
  readonly language?: string;
}

export interface AnswerResult {
  readonly correct: boolean;
  readonly feedback?: string;
  readonly attemptsLeft: number;
  /** Answered right, or out of attempts: the player goes on. */
  readonly done: boolean;
  readonly earned: number;
  readonly total: number;
  readonly completed: boolean;
}

/** The questions for a learner's player: what is asked (never what is right) and which they are done with. */
export interface LearnerQuestions {
  readonly questions: readonly (AskedQuestion & { readonly done: boolean; readonly attemptsUsed: number })[];
  readonly maxAttempts: number;
}

/**
 * Questions inside a lesson, from the learner's side: answers are checked here, never in the
 * browser, and each one is graded in one transaction with the learner's progress row locked (so
 * answers and heartbeats of one learner never race), its score written to the grade outbox there.
 * Only the launch's own learner, lesson and tenant: the launch session says who answers.
 */
export class AnswerService {
  constructor(private readonly d: AnswerServiceDeps) {}

  /** `language`: the language version the learner watches, whose words the questions are in. */
  async forLearner(session: LtiSession, lessonId: string, language?: string): Promise<LearnerQuestions> {
    const set = await this.setOf(session, lessonId);
    const given = set
      ? await this.d.answers.ofLearner(this.d.db, session.tenantId, lessonId, session.userId)
      : [];
    const standing = set ? questionStanding(set, given) : undefined;
    return {
      maxAttempts: set?.attempts.max ?? 1,
      questions: (set?.questions ?? []).map((q) => {
        const asked = askedOf(q, language);
        return {
          ...asked,
          done: standing!.done.includes(asked.key),
          attemptsUsed: given.filter((a) => a.key === asked.key).length,
        };
      }),
    };
  }

  async answer(
    session: LtiSession,
    sessionSha: string,
    lessonId: string,
    given: GivenAnswerRequest,
  ): Promise<AnswerResult> {
    if (session.role !== 'learner' || session.messageType === 'LtiDeepLinkingRequest')
      throw ApiError.of('FORBIDDEN', 'Answers are recorded for learners.');
    const set = await this.setOf(session, lessonId);
    const question = set?.questions.find((q) => questionKey(q) === given.question);
    if (!set || !question)
      throw ApiError.of('NOT_FOUND', 'This lesson has no such question (it may have changed).');
    if (!answerFits(question, given.answer))
      throw ApiError.invalid('That answer does not fit the question (a choice it has, or a text).');
    if (given.attempt > set.attempts.max)
      throw new ApiError(409, 'NO_ATTEMPTS_LEFT', `This question takes ${set.attempts.max} answer(s).`);
    const lesson = await this.d.grading.get(session.tenantId, lessonId);
    if (!lesson) throw ApiError.of('NOT_FOUND', 'No such lesson.');
    const rule = { watchingWeight: set.watchingWeight, passThreshold: set.passThreshold };
    const key = given.question;
    const checked = checkAnswer(asWorded(question, given.language), given.answer);
    const now = new Date();

    const outcome = await inTransaction(this.d.db, async (c) => {
      // The learner's row, made if this answer comes before any heartbeat, and locked.
      const {
        learners: [row],
      } = await this.d.store.take(
        c,
        [],
        [
          {
            lessonId,
            userId: session.userId,
            tenantId: session.tenantId,
            contextId: session.contextId,
            platformId: session.platformId,
            userName: session.userName,
            durationSec: lesson.durationSec,
          },
        ],
      );
      const before = await this.d.answers.ofLearner(c, session.tenantId, lessonId, session.userId);
      const mine = before.filter((a) => a.key === key);
      const replayed = mine.find((a) => a.attempt === given.attempt);
      if (replayed) {
        // The same answer sent again (a retry after a lost reply): answered as the first time.
        if (JSON.stringify(replayed.answer) !== JSON.stringify(given.answer))
          throw new ApiError(409, 'ATTEMPT_TAKEN', 'This attempt was answered already.');
        return { replay: true as const, all: before, completed: row!.completed };
      }
      if (given.attempt !== mine.length + 1)
        throw new ApiError(409, 'ATTEMPT_OUT_OF_ORDER', `The next attempt is ${mine.length + 1}.`);
      await this.d.answers.add(c, {
        tenantId: session.tenantId,
        lessonId,
        userId: session.userId,
        key,
        attempt: given.attempt,
        answer: given.answer,
        correct: checked.correct,
        points: checked.points,
        secondsToAnswer: given.secondsToAnswer,
        sessionSha,
      });
      const all = [...before, { key, attempt: given.attempt, ...checked, answer: given.answer }];
      const standing = questionStanding(set, all);
      const completed =
        row!.completed ||
        (lesson.durationSec > 0 &&
          isComplete(row!.coverage, lesson.completionThreshold, rule, standing.score));
      const grade = gradeOf(row!.coverage, rule, standing.score);
      const prior = row!.question_total ? (row!.question_earned ?? 0) / row!.question_total : 0;
      const score = session.launch.ags
        ? scoreFor(
            {
              grade: gradeOf(row!.coverage, rule, prior),
              completed: row!.completed,
              scoredPercent: row!.scored_percent,
            },
            { grade, completed, scoredPercent: row!.scored_percent },
            session.userId,
            lesson.scoreMaximum,
            now,
            { always: true, comment: gradeComment(row!.coverage, standing.earned, standing.total) },
          )
        : undefined;
      await this.d.store.saveQuestions(c, {
        lessonId,
        userId: session.userId,
        earned: standing.earned,
        total: standing.total,
        completed,
        scoredPercent: score ? Math.floor(grade * 100) : row!.scored_percent,
      });
      if (score)
        await this.d.outbox.stage(c, [
          {
            lessonId,
            userId: session.userId,
            tenantId: session.tenantId,
            platformId: session.platformId,
            score,
            target: scoreTargetOf(session, lesson.title),
          },
        ]);
      return {
        replay: false as const,
        all,
        completed,
        scored: Boolean(score),
        justCompleted: completed && !row!.completed,
      };
    });

    const standing = questionStanding(set, outcome.all);
    const mine = outcome.all.filter((a) => a.key === key);
    const result: AnswerResult = {
      correct: checked.correct,
      feedback: checked.feedback,
      attemptsLeft: Math.max(0, set.attempts.max - mine.length),
      done: standing.done.includes(key),
      earned: standing.earned,
      total: standing.total,
      completed: outcome.completed,
    };
    if (outcome.replay) return result;
    const gradeKey = { lessonId, userId: session.userId };
    if (outcome.scored) this.d.onScored([gradeKey]);
    if (outcome.justCompleted) this.d.onCompleted([gradeKey]);
    this.d.log.info(
      {
        event: 'answer',
        tenantId: session.tenantId,
        lessonId,
        userId: session.userId,
        question: key,
        attempt: given.attempt,
        correct: checked.correct,
        earned: standing.earned,
        total: standing.total,
        completed: outcome.justCompleted,
      },
      'question answered',
    );
    return result;
  }

  /** The lesson's questions, if the launch is for this lesson. */
  private async setOf(session: LtiSession, lessonId: string): Promise<LessonQuestionSet | undefined> {
    if (session.lessonId !== lessonId) throw ApiError.of('FORBIDDEN', 'This launch is for another lesson.');
    return this.d.questions.get(session.tenantId, lessonId);
  }
}

/**
 * The question as checked for a learner watching in `language`: its feedback in that language, and
 * a typed answer right in any language the lesson has (a learner may answer in the original's).
 */
function asWorded(q: LessonQuestion, language?: string): Question {
  const shown = inLanguage(q, language);
  if (shown.kind !== 'text' || q.kind !== 'text') return shown;
  const everyLanguage = Object.values(q.translations ?? {}).flatMap((t) =>
    t.kind === 'text' ? t.accepted : [],
  );
  return { ...shown, accepted: [...new Set([...q.accepted, ...shown.accepted, ...everyLanguage])] };
}
