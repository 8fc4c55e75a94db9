import type { Db } from '../db/database.js';
import {
  QuestionSchema,
  QuestionSetSchema,
  ordered,
  questionKey,
  type LessonQuestion,
  type LessonQuestionSet,
  type Question,
  type QuestionSet,
  type Translation,
} from './question-set.js';

/**
 * Lessons' question sets (`lesson_questions`, the author's), always read and written within the
 * tenant; and the questions learners meet, which add those of the published version's script
 * (`lesson_versions.narration`, written with the version) in every language it has.
 */
export class QuestionRepository {
  constructor(private readonly db: Db) {}

  /** The author's own questions and rules; undefined when none were set. */
  async authored(tenantId: string, lessonId: string): Promise<QuestionSet | undefined> {
    const { rows } = await this.db.query<{ question_set: unknown }>(
      'SELECT question_set FROM lesson_questions WHERE tenant_id = $1 AND lesson_id = $2',
      [tenantId, lessonId],
    );
    // Stored only after validation; parsing again fills defaults a later schema added.
    return rows[0] ? ordered(QuestionSetSchema.parse(rows[0].question_set)) : undefined;
  }

  /**
   * The questions learners meet, in the order they meet them: the author's and the published
   * script's (each once), with the script's questions in the words of every language version whose
   * script has the same blocks. Undefined when the lesson has none.
   */
  async get(tenantId: string, lessonId: string): Promise<LessonQuestionSet | undefined> {
    const { rows } = await this.db.query<{
      question_set: unknown;
      script: unknown[] | null;
      translated: Record<string, unknown[]> | null;
    }>(
      `SELECT q.question_set, v.narration->'questions' AS script,
              (SELECT jsonb_object_agg(ll.language, lv.narration->'questions')
               FROM lesson_languages ll JOIN renders lr ON lr.id = ll.render_id
                 JOIN lesson_versions lv ON lv.id = lr.version_id
               WHERE ll.lesson_id = l.id AND lv.narration->'questions' IS NOT NULL) AS translated
       FROM lessons l LEFT JOIN lesson_questions q ON q.lesson_id = l.id
         LEFT JOIN renders r ON r.id = l.published_render_id
         LEFT JOIN lesson_versions v ON v.id = r.version_id
       WHERE l.tenant_id = $1 AND l.id = $2`,
      [tenantId, lessonId],
    );
    const row = rows[0];
    if (!row) return undefined;
    const authored = QuestionSetSchema.parse(row.question_set ?? { questions: [] });
    const script = (row.script ?? []).map((q) => QuestionSchema.parse(q));
    if (!authored.questions.length && !script.length) return undefined;
    const words = Object.entries(row.translated ?? {}).map(
      ([language, qs]) => [language, qs.map((q) => QuestionSchema.parse(q))] as const,
    );
    const fromScript = script.map((q, i): LessonQuestion => {
      const translations: Record<string, Translation> = {};
      for (const [language, qs] of words) {
        const t = qs[i];
        if (t && sameShape(q, t)) translations[language] = withoutTime(t);
      }
      return Object.keys(translations).length ? { ...q, translations } : q;
    });
    const seen = new Set<string>();
    const questions = [...authored.questions, ...fromScript]
      .map((q) => ({ ...q, key: questionKey(q) }))
      .filter((q) => !seen.has(q.key) && seen.add(q.key));
    return ordered({ ...authored, questions });
  }

  /** Replaces the lesson's own questions; false when the lesson is not the tenant's. */
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

/** A translation words the same question: the same kind, the same choices, right in the same places. */
function sameShape(q: Question, t: Question): boolean {
  if (q.kind !== t.kind || q.points !== t.points) return false;
  if ((q.kind === 'single' || q.kind === 'multiple') && (t.kind === 'single' || t.kind === 'multiple'))
    return (
      q.choices.length === t.choices.length && q.choices.every((c, i) => c.correct === t.choices[i]!.correct)
    );
  if (q.kind === 'truefalse' && t.kind === 'truefalse') return q.answer === t.answer;
  return true;
}

const withoutTime = (q: Question): Translation => {
  const { at: _at, ...rest } = q;
  return rest;
};
