import type { Queryable } from '../db/database.js';
import type { Answer } from './answer-check.js';
import type { GivenAnswer } from './question-score.js';

/** An answer as stored, with what was answered. */
export interface StoredAnswer extends GivenAnswer {
  readonly answer: Answer;
}

/** An answer on a lesson's statistics: whose, and how long it took. */
export interface LessonAnswer extends StoredAnswer {
  readonly userId: string;
  readonly secondsToAnswer?: number;
}

export interface NewAnswer {
  readonly tenantId: string;
  readonly lessonId: string;
  readonly userId: string;
  readonly key: string;
  readonly attempt: number;
  readonly answer: Answer;
  readonly correct: boolean;
  readonly points: number;
  readonly secondsToAnswer?: number;
  readonly sessionSha: string;
}

/**
 * Learners' answers (`question_answers`). Written only in the answer's transaction, after the
 * learner's progress row was locked, so two answers of one learner never race.
 */
export class AnswerRepository {
  /** The learner's answers on the lesson, every question and attempt. */
  async ofLearner(c: Queryable, tenantId: string, lessonId: string, userId: string): Promise<StoredAnswer[]> {
    const { rows } = await c.query<{
      question_key: string;
      attempt: number;
      points: number;
      correct: boolean;
      answer: Answer;
    }>(
      `SELECT question_key, attempt, points, correct, answer FROM question_answers
       WHERE tenant_id = $1 AND lesson_id = $2 AND user_id = $3 ORDER BY question_key, attempt`,
      [tenantId, lessonId, userId],
    );
    return rows.map((r) => ({
      key: r.question_key,
      attempt: r.attempt,
      points: r.points,
      correct: r.correct,
      answer: r.answer,
    }));
  }

  async add(c: Queryable, a: NewAnswer): Promise<void> {
    await c.query(
      `INSERT INTO question_answers (lesson_id, user_id, question_key, attempt, tenant_id, answer, correct,
         points, seconds_to_answer, session_sha256)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        a.lessonId,
        a.userId,
        a.key,
        a.attempt,
        a.tenantId,
        JSON.stringify(a.answer),
        a.correct,
        a.points,
        a.secondsToAnswer ?? null,
        a.sessionSha,
      ],
    );
  }

  /** Every answer on the lesson, for its instructor's statistics. */
  async ofLesson(c: Queryable, tenantId: string, lessonId: string): Promise<LessonAnswer[]> {
    const { rows } = await c.query<{
      user_id: string;
      question_key: string;
      attempt: number;
      points: number;
      correct: boolean;
      answer: Answer;
      seconds_to_answer: number | null;
    }>(
      `SELECT user_id, question_key, attempt, points, correct, answer, seconds_to_answer FROM question_answers
       WHERE tenant_id = $1 AND lesson_id = $2 ORDER BY user_id, question_key, attempt`,
      [tenantId, lessonId],
    );
    return rows.map((r) => ({
      userId: r.user_id,
      key: r.question_key,
      attempt: r.attempt,
      points: r.points,
      correct: r.correct,
      answer: r.answer,
      secondsToAnswer: r.seconds_to_answer ?? undefined,
    }));
  }
}
