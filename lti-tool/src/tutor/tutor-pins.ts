import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.js';
import type { AnswerSource } from './tutor-questions.js';

/** An answer an instructor edited and pinned to a question of a lesson. */
export interface TutorPin {
  readonly id: string;
  readonly lessonId: string;
  readonly question: string;
  readonly terms: readonly string[];
  readonly answer: string;
  readonly sources: readonly AnswerSource[];
  readonly pinnedBy: string;
  readonly pinnedAt: Date;
}

/** Pinned answers (`tutor_pins`), always within a tenant. */
export class TutorPins {
  constructor(private readonly db: Db) {}

  async ofLesson(tenantId: string, lessonId: string): Promise<TutorPin[]> {
    const { rows } = await this.db.query<{
      id: string;
      lesson_id: string;
      question: string;
      terms: string[];
      answer: string;
      sources: AnswerSource[];
      pinned_by: string;
      pinned_at: Date;
    }>(
      `SELECT id, lesson_id, question, terms, answer, sources, pinned_by, pinned_at FROM tutor_pins
       WHERE tenant_id = $1 AND lesson_id = $2 ORDER BY pinned_at DESC`,
      [tenantId, lessonId],
    );
    return rows.map((r) => ({
      id: r.id,
      lessonId: r.lesson_id,
      question: r.question,
      terms: r.terms,
      answer: r.answer,
      sources: r.sources,
      pinnedBy: r.pinned_by,
      pinnedAt: r.pinned_at,
    }));
  }

  async pin(tenantId: string, p: Omit<TutorPin, 'id' | 'pinnedAt'>): Promise<string> {
    const id = randomUUID();
    await this.db.query(
      `INSERT INTO tutor_pins (id, tenant_id, lesson_id, question, terms, answer, sources, pinned_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, tenantId, p.lessonId, p.question, p.terms, p.answer, JSON.stringify(p.sources), p.pinnedBy],
    );
    return id;
  }

  async unpin(tenantId: string, lessonId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'DELETE FROM tutor_pins WHERE tenant_id = $1 AND lesson_id = $2 AND id = $3',
      [tenantId, lessonId, id],
    );
    return rowCount === 1;
  }
}
