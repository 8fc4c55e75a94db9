import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import type { LtiSession } from '../lti/lti-sessions.js';
import type { LessonGradingCache } from '../progress/lesson-grading.js';
import { ApiError } from '../web/api-error.js';
import { answerFits, checkAnswer, type Answer } from './answer-check.js';
import type { AnswerIngest } from './answer-ingest.js';
import type { AnswerRepository } from './answer-repository.js';
import type { QuestionSetCache } from './question-set-cache.js';
import {
  askedOf,
  inLanguage,
  keyOf,
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
  /** The sets again, kept a few seconds, for the answers' path. */
  readonly sets: Pick<QuestionSetCache, 'get' | 'forget'>;
  readonly answers: Pick<AnswerRepository, 'ofLearner'>;
  readonly ingest: Pick<AnswerIngest, 'submit'>;
  readonly grading: Pick<LessonGradingCache, 'get'>;
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
 * browser, then kept and graded by the answer ingest (a transaction with the learner's progress row
 * locked, so answers and heartbeats of one learner never race; the score staged in the grade outbox
 * there). Only the launch's own learner, lesson and tenant: the launch session says who answers.
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
    if (session.lessonId !== lessonId) throw ApiError.of('FORBIDDEN', 'This launch is for another lesson.');
    const find = (set?: LessonQuestionSet) => set?.questions.find((q) => keyOf(q) === given.question);
    let set = await this.d.sets.get(session.tenantId, lessonId);
    if (!find(set)) {
      // Not in the set as this instance last read it: it may have changed since, so read it again.
      this.d.sets.forget(session.tenantId, lessonId);
      set = await this.d.sets.get(session.tenantId, lessonId);
    }
    const question = find(set);
    if (!set || !question)
      throw ApiError.of('NOT_FOUND', 'This lesson has no such question (it may have changed).');
    if (!answerFits(question, given.answer))
      throw ApiError.invalid('That answer does not fit the question (a choice it has, or a text).');
    if (given.attempt > set.attempts.max)
      throw new ApiError(409, 'NO_ATTEMPTS_LEFT', `This question takes ${set.attempts.max} answer(s).`);
    const lesson = await this.d.grading.get(session.tenantId, lessonId);
    if (!lesson) throw ApiError.of('NOT_FOUND', 'No such lesson.');
    const checked = checkAnswer(asWorded(question, given.language), given.answer);
    const outcome = await this.d.ingest.submit({
      session,
      sessionSha,
      lesson,
      set,
      key: given.question,
      attempt: given.attempt,
      answer: given.answer,
      checked,
      secondsToAnswer: given.secondsToAnswer,
    });
    const standing = outcome.standing ?? questionStanding(set, outcome.all);
    const result: AnswerResult = {
      correct: checked.correct,
      feedback: checked.feedback,
      attemptsLeft: Math.max(
        0,
        set.attempts.max - outcome.all.filter((a) => a.key === given.question).length,
      ),
      done: standing.done.includes(given.question),
      earned: standing.earned,
      total: standing.total,
      completed: outcome.completed,
    };
    if (!outcome.replay)
      this.d.log.info(
        {
          event: 'answer',
          tenantId: session.tenantId,
          lessonId,
          userId: session.userId,
          question: given.question,
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
