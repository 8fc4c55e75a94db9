import type { Queryable } from '../db/database.js';
import { learnerKey } from '../progress/watch-store.js';
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
 * Learners' answers (`question_answers`). Written only in the answers' transactions
 * (`answer-ingest.ts`), after the learners' progress rows were locked, so two answers of one learner
 * never race.
 */
export class AnswerRepository {
  /** Part of erasing a learner's data: every answer they gave in the tenant. */
  async forgetLearner(c: Queryable, tenantId: string, userId: string): Promise<number> {
    const { rowCount } = await c.query('DELETE FROM question_answers WHERE tenant_id = $1 AND user_id = $2', [
      tenantId,
      userId,
    ]);
    return rowCount ?? 0;
  }

  /** The learner's answers on the lesson, every question and attempt. */
  async ofLearner(c: Queryable, tenantId: string, lessonId: string, userId: string): Promise<StoredAnswer[]> {
    return (
      (await this.ofLearners(c, [{ tenantId, lessonId, userId }])).get(learnerKey(lessonId, userId)) ?? []
    );
  }

  /**
   * The answers of several learners, each on one lesson (`learners`: lesson id and user id, in the
   * tenant), in one statement: `learnerKey` → their answers by question and attempt.
   */
  async ofLearners(
    c: Queryable,
    learners: readonly { readonly tenantId: string; readonly lessonId: string; readonly userId: string }[],
  ): Promise<Map<string, StoredAnswer[]>> {
    const { rows } = await c.query<{
      lesson_id: string;
      user_id: string;
      question_key: string;
      attempt: number;
      points: number;
      correct: boolean;
      answer: Answer;
    }>({
      name: 'answers-of-learners',
      text: `SELECT a.lesson_id, a.user_id, a.question_key, a.attempt, a.points, a.correct, a.answer
         FROM unnest($1::text[], $2::text[], $3::text[]) AS x(tenant_id, lesson_id, user_id)
         JOIN question_answers a ON a.tenant_id = x.tenant_id AND a.lesson_id = x.lesson_id
           AND a.user_id = x.user_id
         ORDER BY a.question_key, a.attempt`,
      values: [
        learners.map((l) => l.tenantId),
        learners.map((l) => l.lessonId),
        learners.map((l) => l.userId),
      ],
    });
    const out = new Map<string, StoredAnswer[]>();
    for (const r of rows) {
      const k = learnerKey(r.lesson_id, r.user_id);
      const list = out.get(k) ?? [];
      list.push({
        key: r.question_key,
        attempt: r.attempt,
        points: r.points,
        correct: r.correct,
        answer: r.answer,
      });
      out.set(k, list);
    }
    return out;
  }

  /** Stores new answers, in one statement. */
  async add(c: Queryable, answers: readonly NewAnswer[]): Promise<void> {
    if (!answers.length) return;
    await c.query({
      name: 'answers-add',
      text: `INSERT INTO question_answers (lesson_id, user_id, question_key, attempt, tenant_id, answer, correct,
           points, seconds_to_answer, session_sha256)
         SELECT x.lesson_id, x.user_id, x.question_key, x.attempt, x.tenant_id, x.answer, x.correct, x.points,
           x.seconds_to_answer, x.session_sha256
         FROM jsonb_to_recordset($1::jsonb) AS x(lesson_id text, user_id text, question_key text, attempt int,
           tenant_id text, answer jsonb, correct boolean, points real, seconds_to_answer real, session_sha256 text)`,
      values: [
        JSON.stringify(
          answers.map((a) => ({
            lesson_id: a.lessonId,
            user_id: a.userId,
            question_key: a.key,
            attempt: a.attempt,
            tenant_id: a.tenantId,
            answer: a.answer,
            correct: a.correct,
            points: a.points,
            seconds_to_answer: a.secondsToAnswer ?? null,
            session_sha256: a.sessionSha,
          })),
        ),
      ],
    });
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
