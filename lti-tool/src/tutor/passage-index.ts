import { inTransaction, type Db } from '../db/database.js';
import { NarrationRecordSchema } from '../narration/narration-service.js';
import type { QuestionRepository } from '../questions/question-repository.js';
import { onLessonTimeline } from '../lessons/language-versions.js';
import { onLesson } from '../lessons/time-map.js';
import { lessonPassages, type Passage, type VersionText } from './lesson-passages.js';
import { searchableText } from './text-words.js';

/** A course: the only material a learner's question is answered from. */
export interface CourseScope {
  readonly tenantId: string;
  readonly contextId: string;
}

/** A passage found for a question, with what the ranking saw. */
export interface FoundPassage extends Passage {
  readonly id: string;
  readonly lessonId: string;
  readonly lessonTitle: string;
  /** BM25 over the course's passages. */
  readonly score: number;
  /** Of the question's words, weighted by how rare each is in the course: the share this passage has (0–1). */
  readonly coverage: number;
  /** How many of the question's words the passage has. */
  readonly matched: number;
}

/** The course's words of the question, and how often each occurs in the course. */
interface QueryStats {
  readonly passages: number;
  readonly averageLength: number;
  readonly df: ReadonlyMap<string, number>;
}

/**
 * What a lesson's passages are taken from, as SQL over `lessons l`: its published render, its
 * language versions' renders, its title and description. Passages indexed from another value are out
 * of date.
 */
const INDEXED_FROM = `coalesce(l.published_render_id, '') || coalesce((SELECT string_agg(ll.language || ':' || ll.render_id, ' '
   ORDER BY ll.language) FROM lesson_languages ll WHERE ll.lesson_id = l.id), '') || ' ' || md5(l.title || E'\\n' || l.description)`;

/** BM25's usual constants. */
const K1 = 1.2;
const B = 0.75;
/** Candidates taken from PostgreSQL's index before BM25 ranks them. */
const CANDIDATES = 200;

/** A tsquery literal for one lexeme (quoted: a lexeme is data, whatever characters it has). */
const lexemeQuery = (lexeme: string): string => `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/**
 * The course material as passages in PostgreSQL full-text search (`tutor_passages`), kept in step
 * with what each lesson publishes (`tutor_indexed_lessons`), and searched within one course only.
 */
export class PassageIndex {
  constructor(
    private readonly db: Db,
    private readonly questions: Pick<QuestionRepository, 'get'>,
  ) {}

  /**
   * Indexes every published lesson of the course whose passages are missing or from an earlier
   * publication, and drops those of lessons no longer published. One query when nothing changed.
   */
  async refresh(scope: CourseScope): Promise<number> {
    const { rows } = await this.db.query<{ id: string; source: string }>(
      `SELECT l.id, s.source FROM lessons l
       CROSS JOIN LATERAL (SELECT ${INDEXED_FROM} AS source) s
       LEFT JOIN tutor_indexed_lessons t ON t.lesson_id = l.id
       WHERE l.tenant_id = $1 AND l.context_id = $2 AND t.indexed_from IS DISTINCT FROM s.source`,
      [scope.tenantId, scope.contextId],
    );
    for (const r of rows) await this.indexLesson(scope, r.id, r.source);
    return rows.length;
  }

  /** Indexes the lesson's published version and language versions (`source` names them). */
  private async indexLesson(scope: CourseScope, lessonId: string, source: string): Promise<void> {
    const { rows } = await this.db.query<{
      title: string;
      description: string;
      published: boolean;
      duration: number | null;
      narration: unknown;
    }>(
      `SELECT l.title, l.description, r.id = l.published_render_id AS published, (r.result->>'durationSec')::float AS duration,
              v.narration
       FROM lessons l JOIN renders r ON r.lesson_id = l.id AND r.state = 'done'
         AND (r.id = l.published_render_id OR r.id IN (SELECT render_id FROM lesson_languages WHERE lesson_id = l.id))
       JOIN lesson_versions v ON v.id = r.version_id
       WHERE l.tenant_id = $1 AND l.id = $2
       ORDER BY published DESC`,
      [scope.tenantId, lessonId],
    );
    const published = rows.find((r) => r.published);
    let passages: Passage[] = [];
    if (published) {
      const timed = (r: (typeof rows)[number]) => ({
        durationSec: r.duration ?? undefined,
        narration: r.narration ? NarrationRecordSchema.parse(r.narration) : null,
      });
      const versions: VersionText[] = [];
      const others = rows.filter((r) => !r.published).map(timed);
      for (const { narration, timeMap } of onLessonTimeline(timed(published), others))
        if (narration) versions.push({ narration, toLesson: (t) => onLesson(timeMap, t) });
      const questions = (await this.questions.get(scope.tenantId, lessonId))?.questions ?? [];
      passages = lessonPassages({
        title: published.title,
        description: published.description,
        versions,
        questions,
      });
    }
    await inTransaction(this.db, async (c) => {
      // One lesson of a course at a time (across instances): the course's word counts change with it.
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `tutor-index:${scope.tenantId}\n${scope.contextId}`,
      ]);
      const { rowCount } = await c.query(
        'SELECT 1 FROM tutor_indexed_lessons WHERE lesson_id = $1 AND indexed_from = $2',
        [lessonId, source],
      );
      if (rowCount) return; // another instance indexed it meanwhile
      const course = [scope.tenantId, scope.contextId, lessonId];
      // The lesson's earlier passages leave the course's word counts; a word no passage has goes.
      const { rows: counted } = await c.query<{ lexeme: string; passages: number }>(
        `WITH gone AS (SELECT w.lexeme, count(*)::int AS n
                       FROM tutor_passages p, unnest(tsvector_to_array(p.terms)) w(lexeme)
                       WHERE p.lesson_id = $3 GROUP BY w.lexeme)
         UPDATE tutor_terms t SET passages = t.passages - gone.n FROM gone
         WHERE t.tenant_id = $1 AND t.context_id = $2 AND t.lexeme = gone.lexeme
         RETURNING t.lexeme, t.passages`,
        course,
      );
      const unused = counted.filter((r) => r.passages === 0).map((r) => r.lexeme);
      if (unused.length)
        await c.query(
          'DELETE FROM tutor_terms WHERE tenant_id = $1 AND context_id = $2 AND lexeme = ANY($3::text[])',
          [scope.tenantId, scope.contextId, unused],
        );
      await c.query('DELETE FROM tutor_passages WHERE lesson_id = $1', [lessonId]);
      if (passages.length) {
        await c.query(
          `INSERT INTO tutor_passages (tenant_id, context_id, lesson_id, kind, chapter, start_sec, text, terms, words)
           SELECT $1, $2, $3, p.kind, p.chapter, p.start_sec, p.text, t.terms, length(t.terms)
           FROM jsonb_to_recordset($4::jsonb)
             AS p(kind text, chapter text, start_sec real, text text, words text),
           LATERAL (SELECT to_tsvector('english', p.words) AS terms) t`,
          [
            ...course,
            JSON.stringify(
              passages.map((p) => ({
                kind: p.kind,
                chapter: p.chapter ?? null,
                start_sec: p.startSec ?? null,
                text: p.text,
                words: searchableText([p.chapter, p.text].filter(Boolean).join(' ')),
              })),
            ),
          ],
        );
        await c.query(
          `INSERT INTO tutor_terms (tenant_id, context_id, lexeme, passages)
           SELECT $1, $2, w.lexeme, count(*) FROM tutor_passages p, unnest(tsvector_to_array(p.terms)) w(lexeme)
           WHERE p.lesson_id = $3 GROUP BY w.lexeme
           ON CONFLICT (tenant_id, context_id, lexeme) DO UPDATE SET passages = tutor_terms.passages + EXCLUDED.passages`,
          course,
        );
      }
      await c.query(
        `INSERT INTO tutor_indexed_lessons (lesson_id, indexed_from) VALUES ($1, $2)
         ON CONFLICT (lesson_id) DO UPDATE SET indexed_from = $2, indexed_at = now()`,
        [lessonId, source],
      );
    });
  }

  /** The question's lexemes as the index stores words (stemmed English, whole Chinese words). */
  async lexemesOf(text: string): Promise<string[]> {
    const { rows } = await this.db.query<{ lexemes: string[] }>(
      "SELECT tsvector_to_array(to_tsvector('english', $1)) AS lexemes",
      [searchableText(text)],
    );
    return rows[0]?.lexemes ?? [];
  }

  /**
   * The course's passages best answering `question`, best first: candidates from the GIN index (any
   * of the question's words), ranked by BM25 with each word's rarity in this course. Nothing outside
   * the scope's tenant and course is read.
   */
  async search(
    scope: CourseScope,
    question: string,
    limit: number,
    /** The question's lexemes when the caller has them already (lexemesOf). */
    known?: readonly string[],
  ): Promise<FoundPassage[]> {
    const lexemes = known ?? (await this.lexemesOf(question));
    if (!lexemes.length) return [];
    const queries = lexemes.map(lexemeQuery);
    const { rows: statRows } = await this.db.query<{
      lexeme: string | null;
      n: string;
      avg_len: number | null;
    }>(
      // The course's size from its index, and each word's count from the course's word counts.
      `SELECT NULL AS lexeme, count(*) AS n, avg(words)::float AS avg_len
       FROM tutor_passages WHERE tenant_id = $1 AND context_id = $2
       UNION ALL
       SELECT lexeme, passages, NULL FROM tutor_terms
       WHERE tenant_id = $1 AND context_id = $2 AND lexeme = ANY($3::text[])`,
      [scope.tenantId, scope.contextId, lexemes],
    );
    const total = statRows.find((r) => r.lexeme === null)!;
    const stats: QueryStats = {
      passages: Number(total.n),
      averageLength: total.avg_len ?? 1,
      df: new Map(statRows.filter((r) => r.lexeme !== null).map((r) => [r.lexeme!, Number(r.n)])),
    };
    if (!stats.passages) return [];
    const { rows } = await this.db.query<{
      id: string;
      lesson_id: string;
      title: string;
      kind: Passage['kind'];
      chapter: string | null;
      start_sec: number | null;
      text: string;
      len: number;
      tf: Record<string, number> | null;
    }>(
      // The candidates first (PostgreSQL's ranking), then each one's counts of the question's words.
      `WITH q AS (SELECT $3::tsquery AS query),
            top AS (SELECT p.id FROM tutor_passages p, q
                    WHERE p.tenant_id = $1 AND p.context_id = $2 AND p.terms @@ q.query
                    ORDER BY ts_rank_cd(p.terms, q.query) DESC LIMIT ${CANDIDATES})
       SELECT p.id, p.lesson_id, l.title, p.kind, p.chapter, p.start_sec, p.text, p.words AS len,
              (SELECT json_object_agg(u.lexeme, cardinality(u.positions)) FROM unnest(p.terms) u
               WHERE u.lexeme = ANY($4::text[])) AS tf
       FROM top JOIN tutor_passages p ON p.id = top.id JOIN lessons l ON l.id = p.lesson_id`,
      [scope.tenantId, scope.contextId, queries.join(' | '), lexemes],
    );
    const idf = (lexeme: string): number => {
      const df = stats.df.get(lexeme) ?? 0;
      return Math.log(1 + (stats.passages - df + 0.5) / (df + 0.5));
    };
    const weight = lexemes.reduce((sum, l) => sum + idf(l), 0);
    return rows
      .map((r): FoundPassage => {
        let score = 0;
        let weighed = 0;
        const found = Object.entries(r.tf ?? {});
        for (const [lexeme, tf] of found) {
          const norm = tf + K1 * (1 - B + (B * r.len) / stats.averageLength);
          score += (idf(lexeme) * (tf * (K1 + 1))) / norm;
          weighed += idf(lexeme);
        }
        return {
          id: r.id,
          lessonId: r.lesson_id,
          lessonTitle: r.title,
          kind: r.kind,
          text: r.text,
          chapter: r.chapter ?? undefined,
          startSec: r.start_sec ?? undefined,
          score,
          coverage: weight ? weighed / weight : 0,
          matched: found.length,
        };
      })
      .sort((a, b) => b.score - a.score)
      .slice(0, limit);
  }
}
