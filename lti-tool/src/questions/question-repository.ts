import type { Db } from '../db/database.js';
import { QuestionSetSchema, ordered, type QuestionSet } from './question-set.js';

/** Lessons' question sets (`lesson_questions`), always read and written within the tenant. */
export class QuestionRepository {
  constructor(private readonly db: Db) {}

  /** The lesson's questions in the order the player meets them; undefined when it has none set. */
  async get(tenantId: string, lessonId: string): Promise<QuestionSet | undefined> {
    const { rows } = await this.db.query<{ question_set: unknown }>(
      'SELECT question_set FROM lesson_questions WHERE tenant_id = $1 AND lesson_id = $2',
      [tenantId, lessonId],
    );
    // Stored only after validation; parsing again fills defaults a later schema added.
    return rows[0] ? ordered(QuestionSetSchema.parse(rows[0].question_set)) : undefined;
  }

  /** Replaces the lesson's questions; false when the lesson is not the tenant's. */
  async save(tenantId: string, lessonId: string, set: QuestionSet): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO lesson_questions (lesson_id, tenant_id, question_set)
       SELECT l.id, l.tenant_id, $3 FROM lessons l WHERE l.id = $2 AND l.tenant_id = $1
       ON CONFLICT (lesson_id) DO UPDATE SET question_set = EXCLUDED.question_set, updated_at = now()`,
      [tenantId, lessonId, JSON.stringify(ordered(set))],
    );
    return rowCount === 1;
  }
}
