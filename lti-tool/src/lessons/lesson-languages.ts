import type { Db } from '../db/database.js';
import type { ScriptLanguage } from '../narration/languages.js';

/** A language version learners may pick: the finished render they see in that language. */
export interface LessonLanguage {
  readonly language: ScriptLanguage;
  readonly renderId: string;
}

export type PublishLanguageOutcome =
  | { readonly ok: true; readonly language: ScriptLanguage }
  | {
      readonly ok: false;
      readonly problem: 'not-found' | 'not-narrated' | 'not-published' | 'same-language';
    };

/**
 * A lesson's language versions (dubbing), always seen from a tenant's course. A language version is a
 * finished render of the lesson spoken from a script in another language than the published version.
 */
export class LessonLanguages {
  constructor(private readonly db: Db) {}

  async list(lessonId: string): Promise<LessonLanguage[]> {
    const { rows } = await this.db.query<{ language: ScriptLanguage; render_id: string }>(
      'SELECT language, render_id FROM lesson_languages WHERE lesson_id = $1 ORDER BY language',
      [lessonId],
    );
    return rows.map((r) => ({ language: r.language, renderId: r.render_id }));
  }

  /** Makes a finished, script-spoken render of the lesson what learners see in its script's language. */
  async publish(
    tenantId: string,
    contextId: string,
    lessonId: string,
    renderId: string,
  ): Promise<PublishLanguageOutcome> {
    const { rows } = await this.db.query<{
      language: ScriptLanguage | null;
      published_language: string | null;
      published: boolean;
    }>(
      `SELECT v.narration->>'language' AS language, pv.narration->>'language' AS published_language,
              l.published_render_id IS NOT NULL AS published
       FROM lessons l
       JOIN renders r ON r.lesson_id = l.id AND r.id = $4 AND r.state = 'done'
       JOIN lesson_versions v ON v.id = r.version_id
       LEFT JOIN renders pr ON pr.id = l.published_render_id
       LEFT JOIN lesson_versions pv ON pv.id = pr.version_id
       WHERE l.id = $3 AND l.tenant_id = $1 AND l.context_id = $2`,
      [tenantId, contextId, lessonId, renderId],
    );
    const found = rows[0];
    if (!found) return { ok: false, problem: 'not-found' };
    if (!found.language) return { ok: false, problem: 'not-narrated' };
    if (!found.published) return { ok: false, problem: 'not-published' };
    if (found.language === found.published_language) return { ok: false, problem: 'same-language' };
    await this.db.query(
      `INSERT INTO lesson_languages (lesson_id, language, render_id) VALUES ($1, $2, $3)
       ON CONFLICT (lesson_id, language) DO UPDATE SET render_id = EXCLUDED.render_id, published_at = now()`,
      [lessonId, found.language, renderId],
    );
    return { ok: true, language: found.language };
  }

  /** Withdraws a language version; false when the course's lesson had none in that language. */
  async remove(tenantId: string, contextId: string, lessonId: string, language: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `DELETE FROM lesson_languages x USING lessons l
       WHERE x.lesson_id = l.id AND l.id = $3 AND l.tenant_id = $1 AND l.context_id = $2 AND x.language = $4`,
      [tenantId, contextId, lessonId, language],
    );
    return rowCount === 1;
  }
}
