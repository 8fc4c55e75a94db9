import type { Db, Queryable } from '../db/database.js';
import type { AnswerLanguage } from './answer-composer.js';

/** Where an answer comes from, as the learner's player shows and seeks to it. */
export interface AnswerSource {
  readonly lessonId: string;
  readonly lessonTitle: string;
  readonly chapter?: string;
  readonly startSec?: number;
  readonly text: string;
}

export interface TutorQuestion {
  readonly id: string;
  readonly lessonId: string;
  readonly userId: string;
  readonly question: string;
  readonly terms: readonly string[];
  readonly language: AnswerLanguage;
  readonly answer: string;
  /** False: the course does not cover the question (the answer says so, and nothing is spoken). */
  readonly covered: boolean;
  readonly sources: readonly AnswerSource[];
  readonly composer: 'extractive' | 'llm' | 'pinned' | 'none';
  readonly pinId?: string;
  readonly clipSha256?: string;
  readonly rating?: 1 | -1;
  readonly askedAt: Date;
}

interface Row {
  id: string;
  lesson_id: string;
  user_id: string;
  question: string;
  terms: string[];
  language: AnswerLanguage;
  answer: string;
  covered: boolean;
  sources: AnswerSource[];
  composer: TutorQuestion['composer'];
  pin_id: string | null;
  clip_sha256: string | null;
  rating: 1 | -1 | null;
  asked_at: Date;
}

const toQuestion = (r: Row): TutorQuestion => ({
  id: r.id,
  lessonId: r.lesson_id,
  userId: r.user_id,
  question: r.question,
  terms: r.terms,
  language: r.language,
  answer: r.answer,
  covered: r.covered,
  sources: r.sources,
  composer: r.composer,
  pinId: r.pin_id ?? undefined,
  clipSha256: r.clip_sha256 ?? undefined,
  rating: r.rating ?? undefined,
  askedAt: r.asked_at,
});

const COLUMNS =
  'id, lesson_id, user_id, question, terms, language, answer, covered, sources, composer, pin_id, clip_sha256, rating, asked_at';

/** Learners' questions to the tutor and their answers (`tutor_questions`), always within a tenant. */
export class TutorQuestions {
  constructor(private readonly db: Db) {}

  async add(
    c: Queryable,
    q: Omit<TutorQuestion, 'askedAt' | 'rating' | 'clipSha256'> & { tenantId: string; contextId: string },
  ): Promise<void> {
    await c.query(
      `INSERT INTO tutor_questions (id, tenant_id, context_id, lesson_id, user_id, question, terms, language,
         answer, covered, sources, composer, pin_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        q.id,
        q.tenantId,
        q.contextId,
        q.lessonId,
        q.userId,
        q.question,
        q.terms,
        q.language,
        q.answer,
        q.covered,
        JSON.stringify(q.sources),
        q.composer,
        q.pinId ?? null,
      ],
    );
  }

  async get(tenantId: string, id: string): Promise<TutorQuestion | undefined> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM tutor_questions WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return rows[0] && toQuestion(rows[0]);
  }

  /** The learner's own questions in the course, newest first. */
  async ofLearner(
    tenantId: string,
    contextId: string,
    userId: string,
    limit: number,
  ): Promise<TutorQuestion[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM tutor_questions WHERE tenant_id = $1 AND context_id = $2 AND user_id = $3
       ORDER BY asked_at DESC LIMIT $4`,
      [tenantId, contextId, userId, limit],
    );
    return rows.map(toQuestion);
  }

  /** What learners asked in the lesson, newest first (the instructor's view). */
  async ofLesson(tenantId: string, lessonId: string, limit: number): Promise<TutorQuestion[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM tutor_questions WHERE tenant_id = $1 AND lesson_id = $2
       ORDER BY asked_at DESC LIMIT $3`,
      [tenantId, lessonId, limit],
    );
    return rows.map(toQuestion);
  }

  /** The learner's rating of their own answer; false when the question is not theirs. */
  async rate(tenantId: string, userId: string, id: string, rating: 1 | -1): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'UPDATE tutor_questions SET rating = $4 WHERE tenant_id = $1 AND user_id = $2 AND id = $3',
      [tenantId, userId, id, rating],
    );
    return rowCount === 1;
  }

  /** The spoken answer's video, once rendered and stored. */
  async setClip(id: string, sha256: string): Promise<void> {
    await this.db.query('UPDATE tutor_questions SET clip_sha256 = $2 WHERE id = $1', [id, sha256]);
  }

  /** The stored clip of a question's answer, once rendered. */
  async clipOf(id: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ clip_sha256: string | null }>(
      'SELECT clip_sha256 FROM tutor_questions WHERE id = $1',
      [id],
    );
    return rows[0]?.clip_sha256 ?? undefined;
  }

  /** Part of erasing a learner's data: their questions, in the erasure's transaction. */
  async forgetLearner(c: Queryable, tenantId: string, userId: string): Promise<number> {
    const { rowCount } = await c.query('DELETE FROM tutor_questions WHERE tenant_id = $1 AND user_id = $2', [
      tenantId,
      userId,
    ]);
    return rowCount ?? 0;
  }
}
