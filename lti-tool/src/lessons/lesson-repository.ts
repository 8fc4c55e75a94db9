import { randomUUID } from 'node:crypto';
import { inTransaction, type Db, type Queryable } from '../db/database.js';
import { NO_EVENTS, type AfterCommit, type EventSink } from '../webhooks/webhook-events.js';

export interface LessonSummary {
  readonly id: string;
  readonly title: string;
  /** The course the lesson belongs to. */
  readonly contextId: string;
  readonly publishedRenderId?: string;
  /** The newest render, whatever its state, and the newest finished one. */
  readonly latest?: { readonly id: string; readonly state: string; readonly percent?: number };
  readonly latestDoneRenderId?: string;
  /** False when the instructor turned the lesson's tutor off. */
  readonly tutorEnabled?: boolean;
}

/** Lessons as a course sees them: always scoped by tenant and context. */
export class LessonRepository {
  constructor(
    private readonly db: Db,
    /** Where a publication is reported (webhooks' lesson.published). */
    private readonly events: EventSink = NO_EVENTS,
  ) {}

  async listForContext(tenantId: string, contextId: string): Promise<LessonSummary[]> {
    return this.query('l.tenant_id = $1 AND l.context_id = $2', [tenantId, contextId]);
  }

  async get(tenantId: string, contextId: string, lessonId: string): Promise<LessonSummary | undefined> {
    return (
      await this.query('l.tenant_id = $1 AND l.context_id = $2 AND l.id = $3', [
        tenantId,
        contextId,
        lessonId,
      ])
    )[0];
  }

  /** A lesson anywhere in the tenant (for a bridge such as DingTalk's, which has no course launch). */
  async inTenant(tenantId: string, lessonId: string): Promise<LessonSummary | undefined> {
    return (await this.query('l.tenant_id = $1 AND l.id = $2', [tenantId, lessonId]))[0];
  }

  /** The tenant's published lessons, for assigning them. */
  async published(tenantId: string): Promise<LessonSummary[]> {
    return this.query('l.tenant_id = $1 AND l.published_render_id IS NOT NULL', [tenantId]);
  }

  /**
   * The lesson a new render belongs to, inside the render's transaction: the named one if it is the
   * tenant's (and the course's, when one is given), else undefined; with none named, a new lesson.
   */
  async forRender(
    c: Queryable,
    n: { tenantId: string; contextId?: string; lessonId?: string; title: string },
  ): Promise<string | undefined> {
    if (n.lessonId) {
      const { rowCount } = await c.query(
        'SELECT 1 FROM lessons WHERE id = $1 AND tenant_id = $2 AND ($3::text IS NULL OR context_id = $3)',
        [n.lessonId, n.tenantId, n.contextId ?? null],
      );
      return rowCount ? n.lessonId : undefined;
    }
    const id = randomUUID();
    await c.query('INSERT INTO lessons (id, tenant_id, context_id, title) VALUES ($1, $2, $3, $4)', [
      id,
      n.tenantId,
      n.contextId ?? null,
      n.title,
    ]);
    return id;
  }

  /**
   * The render learners see; only a finished render of the lesson itself. A new version (another
   * render than the one published) is reported as lesson.published, in the same transaction; the
   * same render published again (a retried request, a new title) is not.
   */
  async publish(
    tenantId: string,
    contextId: string,
    lessonId: string,
    renderId: string,
    title: string,
  ): Promise<boolean> {
    let announce: AfterCommit = () => {};
    const published = await inTransaction(this.db, async (c) => {
      const { rows } = await c.query<{ before: string | null }>(
        `WITH old AS (SELECT id, published_render_id FROM lessons WHERE id = $3 FOR UPDATE)
         UPDATE lessons l SET published_render_id = $4, title = $5 FROM old
         WHERE l.id = old.id AND l.tenant_id = $1 AND l.context_id = $2
           AND EXISTS (SELECT 1 FROM renders r WHERE r.id = $4 AND r.lesson_id = l.id AND r.state = 'done')
         RETURNING old.published_render_id AS before`,
        [tenantId, contextId, lessonId, renderId, title],
      );
      if (!rows[0]) return false;
      if (rows[0].before !== renderId)
        announce = await this.events.add(c, [
          {
            tenantId,
            type: 'lesson.published',
            key: `${lessonId}\n${renderId}\n${randomUUID()}`,
            data: { lessonId, title, renderId, courseId: contextId, publishedAt: new Date().toISOString() },
          },
        ]);
      return true;
    });
    announce();
    return published;
  }

  /** The gradebook column's maximum and the share of the lesson a learner must watch to complete it. */
  async setGrading(
    tenantId: string,
    lessonId: string,
    g: { scoreMaximum: number; completionThreshold: number },
  ): Promise<void> {
    await this.db.query(
      'UPDATE lessons SET score_maximum = $3, completion_threshold = $4 WHERE tenant_id = $1 AND id = $2',
      [tenantId, lessonId, g.scoreMaximum, g.completionThreshold],
    );
  }

  /** The description for learners the studio sent the LMS with the lesson (course material for the tutor). */
  async setDescription(tenantId: string, lessonId: string, description: string): Promise<void> {
    await this.db.query('UPDATE lessons SET description = $3 WHERE tenant_id = $1 AND id = $2', [
      tenantId,
      lessonId,
      description,
    ]);
  }

  /** What the lesson's tutor needs: whether it is on, and the published version's portrait and voice. */
  async tutorOf(
    tenantId: string,
    contextId: string,
    lessonId: string,
  ): Promise<
    | { contextId: string; tutorEnabled: boolean; presenter?: { portraitSha256: string; voice?: string } }
    | undefined
  > {
    const { rows } = await this.db.query<{
      context_id: string;
      tutor_enabled: boolean;
      portrait_sha256: string | null;
      voice: string | null;
    }>(
      `SELECT l.context_id, l.tutor_enabled, v.portrait_sha256, v.narration->>'voice' AS voice
       FROM lessons l LEFT JOIN renders r ON r.id = l.published_render_id
         LEFT JOIN lesson_versions v ON v.id = r.version_id
       WHERE l.tenant_id = $1 AND l.context_id = $2 AND l.id = $3`,
      [tenantId, contextId, lessonId],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      contextId: r.context_id,
      tutorEnabled: r.tutor_enabled,
      presenter: r.portrait_sha256
        ? { portraitSha256: r.portrait_sha256, voice: r.voice ?? undefined }
        : undefined,
    };
  }

  /** Turns the lesson's tutor on or off; false when the lesson is not the course's. */
  async setTutorEnabled(
    tenantId: string,
    contextId: string,
    lessonId: string,
    on: boolean,
  ): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'UPDATE lessons SET tutor_enabled = $4 WHERE tenant_id = $1 AND context_id = $2 AND id = $3',
      [tenantId, contextId, lessonId, on],
    );
    return rowCount === 1;
  }

  private async query(where: string, params: unknown[]): Promise<LessonSummary[]> {
    const { rows } = await this.db.query<{
      id: string;
      title: string;
      context_id: string;
      published_render_id: string | null;
      latest_id: string | null;
      latest_state: string | null;
      latest_percent: number | null;
      done_id: string | null;
      tutor_enabled: boolean;
    }>(
      `SELECT l.id, l.title, l.context_id, l.published_render_id, l.tutor_enabled,
              lr.id AS latest_id, lr.state AS latest_state, (lr.progress->>'percent')::float AS latest_percent,
              (SELECT d.id FROM renders d WHERE d.lesson_id = l.id AND d.state = 'done'
                ORDER BY d.created_at DESC LIMIT 1) AS done_id
       FROM lessons l
       LEFT JOIN LATERAL (SELECT r.id, r.state, r.progress FROM renders r WHERE r.lesson_id = l.id
                          ORDER BY r.created_at DESC LIMIT 1) lr ON true
       WHERE ${where}
       ORDER BY l.created_at DESC`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      title: r.title,
      contextId: r.context_id,
      publishedRenderId: r.published_render_id ?? undefined,
      latest: r.latest_id
        ? { id: r.latest_id, state: r.latest_state!, percent: r.latest_percent ?? undefined }
        : undefined,
      latestDoneRenderId: r.done_id ?? undefined,
      tutorEnabled: r.tutor_enabled,
    }));
  }
}
