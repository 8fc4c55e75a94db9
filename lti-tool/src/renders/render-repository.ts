import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type {
  EngineName,
  RenderProgress,
  RenderResult,
} from '../../../render-node/src/contract/render-job.js';
import { inTransaction, type Db, type Queryable } from '../db/database.js';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import type { NarrationRecord } from '../narration/narration-service.js';

export type RenderState = 'submitted' | 'queued' | 'active' | 'done' | 'failed' | 'cancelled';
export const OPEN_STATES: readonly RenderState[] = ['submitted', 'queued', 'active'];

export interface RenderSettings {
  readonly prompt: string;
  readonly size: string;
  readonly fps: number;
  readonly sampleSteps: number;
  readonly chunkSec: number;
  /** preview: where the voice's parts start, seconds (a script's paragraphs), each rendered once. */
  readonly parts?: readonly number[];
}

export interface Render {
  readonly id: string;
  readonly tenantId: string;
  readonly lessonId: string;
  readonly versionId: string;
  readonly engine: EngineName;
  readonly state: RenderState;
  readonly progress: RenderProgress | null;
  readonly nodeId: string | null;
  readonly error: string | null;
  readonly result: RenderResult | null;
  readonly portraitSha256: string;
  readonly audioSha256: string;
  readonly settings: RenderSettings;
  /** When the version is spoken from a script: the script, captions and chapters. */
  readonly narration: NarrationRecord | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  /** An active render whose node went away: since when it waits for another node to take it. */
  readonly stalledSince: Date | null;
}

export interface RenderEvent {
  readonly at: Date;
  readonly kind: string;
  readonly nodeId: string | null;
  readonly message: string;
}

export interface RenderFile {
  readonly name: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly contentType: string;
  readonly uploads: number;
}

export interface NewRender {
  readonly tenantId: string;
  /** An existing lesson of the tenant, or a new one with this title. */
  readonly lessonId?: string;
  readonly title: string;
  readonly contextId?: string;
  readonly portraitSha256: string;
  readonly audioSha256: string;
  readonly engine: EngineName;
  readonly settings: RenderSettings;
  /**
   * The script the audio was spoken from. Without one, a version made from the same audio as an
   * earlier narrated version of the lesson (a re-render) keeps that version's script and captions.
   */
  readonly narration?: NarrationRecord;
}

const RENDER_COLUMNS = `r.id, r.tenant_id, r.lesson_id, r.version_id, r.engine, r.state, r.progress, r.node_id,
  r.error, r.result, v.portrait_sha256, v.audio_sha256, v.settings, v.narration, r.created_at, r.started_at, r.finished_at, r.stalled_since`;

interface RenderRow {
  id: string;
  tenant_id: string;
  lesson_id: string;
  version_id: string;
  engine: EngineName;
  state: RenderState;
  progress: RenderProgress | null;
  node_id: string | null;
  error: string | null;
  result: RenderResult | null;
  portrait_sha256: string;
  audio_sha256: string;
  settings: RenderSettings;
  narration: NarrationRecord | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  stalled_since: Date | null;
}

const toRender = (r: RenderRow): Render => ({
  id: r.id,
  tenantId: r.tenant_id,
  lessonId: r.lesson_id,
  versionId: r.version_id,
  engine: r.engine,
  state: r.state,
  progress: r.progress,
  nodeId: r.node_id,
  error: r.error,
  result: r.result,
  portraitSha256: r.portrait_sha256,
  audioSha256: r.audio_sha256,
  settings: r.settings,
  narration: r.narration,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  stalledSince: r.stalled_since,
});

export class UnknownLessonError extends Error {
  override readonly name = 'UnknownLessonError';
}

/**
 * Lesson versions, renders, their history and uploaded files in PostgreSQL (the lesson itself is
 * `LessonRepository`'s, made or checked in the render's transaction). State changes are
 * guarded in SQL (`WHERE state IN …`), so two tool instances, or an event and the reconciler, racing
 * to finish the same render change it once.
 */
export class RenderRepository {
  constructor(
    private readonly db: Db,
    private readonly lessons: LessonRepository,
  ) {}

  async create(n: NewRender): Promise<Render> {
    const id = randomUUID();
    await inTransaction(this.db, async (c) => {
      const lessonId = await this.lessons.forRender(c, n);
      if (!lessonId) throw new UnknownLessonError(`No lesson ${n.lessonId} here.`);
      const versionId = randomUUID();
      await c.query(
        `INSERT INTO lesson_versions (id, lesson_id, tenant_id, portrait_sha256, audio_sha256, engine, settings,
           narration)
         VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8::jsonb, (
           SELECT narration FROM lesson_versions
           WHERE lesson_id = $2 AND audio_sha256 = $5 AND narration IS NOT NULL
           ORDER BY created_at DESC LIMIT 1)))`,
        [
          versionId,
          lessonId,
          n.tenantId,
          n.portraitSha256,
          n.audioSha256,
          n.engine,
          n.settings,
          n.narration ? JSON.stringify(n.narration) : null,
        ],
      );
      await c.query(
        `INSERT INTO renders (id, tenant_id, lesson_id, version_id, engine, state)
         VALUES ($1, $2, $3, $4, $5, 'submitted')`,
        [id, n.tenantId, lessonId, versionId, n.engine],
      );
      await addEvent(
        c,
        id,
        'submitted',
        null,
        `${n.engine} render of ${n.settings.size} at ${n.settings.fps} fps`,
      );
    });
    return (await this.get(id))!;
  }

  /**
   * A render, seen from a tenant (undefined for another tenant's) and, for an LTI launch, from one
   * course (undefined for another course's); or from the farm (no tenant).
   */
  async get(id: string, tenantId?: string, contextId?: string): Promise<Render | undefined> {
    const { rows } = await this.db.query<RenderRow>(
      `SELECT ${RENDER_COLUMNS} FROM renders r JOIN lesson_versions v ON v.id = r.version_id
       WHERE r.id = $1 AND ($2::text IS NULL OR r.tenant_id = $2)
         AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM lessons l WHERE l.id = r.lesson_id AND l.context_id = $3))`,
      [id, tenantId ?? null, contextId ?? null],
    );
    return rows[0] && toRender(rows[0]);
  }

  async listOpen(olderThanSec = 0): Promise<Render[]> {
    const { rows } = await this.db.query<RenderRow>(
      `SELECT ${RENDER_COLUMNS} FROM renders r JOIN lesson_versions v ON v.id = r.version_id
       WHERE r.state IN ('submitted', 'queued', 'active') AND r.updated_at < now() - make_interval(secs => $1)
       ORDER BY r.created_at`,
      [olderThanSec],
    );
    return rows.map(toRender);
  }

  /**
   * Moves a render from one of `from` to `to`, with a history entry; false when it was not in `from`
   * (already finished, cancelled, or moved by another instance). `also` writes what goes with the move
   * in the same transaction (its webhook event).
   */
  async transition(
    id: string,
    from: readonly RenderState[],
    to: RenderState,
    event: { kind: string; nodeId?: string | null; message: string },
    fields: { error?: string; result?: RenderResult } = {},
    also?: (c: Queryable) => Promise<void>,
  ): Promise<boolean> {
    return inTransaction(this.db, async (c) => {
      const { rowCount } = await c.query(
        `UPDATE renders SET state = $3, updated_at = now(),
           error = COALESCE($4, error), result = COALESCE($5, result),
           finished_at = CASE WHEN $3 IN ('done', 'failed', 'cancelled') THEN now() ELSE finished_at END
         WHERE id = $1 AND state = ANY($2)`,
        [id, from, to, fields.error ?? null, fields.result ?? null],
      );
      if (rowCount) await addEvent(c, id, event.kind, event.nodeId ?? null, event.message);
      if (rowCount && also) await also(c);
      return rowCount === 1;
    });
  }

  /**
   * Records a progress report of an open render and returns the node that reported before (to notice a
   * hand-over), or undefined when the render is no longer open or the report is older than the one
   * stored from the same node: reports are handled as they arrive, concurrently, and a late one must
   * not move the render's progress back. A render still `submitted` counts as open: a node can take
   * its job between the queue's add and the mark that it is queued.
   */
  async recordProgress(id: string, p: RenderProgress): Promise<{ previousNode: string | null } | undefined> {
    const { rows } = await this.db.query<{ previous: string | null }>(
      `WITH old AS (SELECT node_id AS previous FROM renders WHERE id = $1 FOR UPDATE)
       UPDATE renders r SET progress = $2, node_id = $3, state = 'active', updated_at = now(),
         started_at = COALESCE(r.started_at, now()), stalled_since = NULL
       FROM old WHERE r.id = $1 AND r.state IN ('submitted', 'queued', 'active')
         AND (r.progress IS NULL OR r.node_id IS DISTINCT FROM $3
              OR (r.progress->>'at')::timestamptz <= $4::timestamptz)
       RETURNING old.previous`,
      [id, p, p.nodeId, p.at],
    );
    return rows[0] && { previousNode: rows[0].previous };
  }

  /**
   * Active renders whose node is not among `liveNodes`: marked stalled (once, with a history entry)
   * until a node takes them again (recordProgress clears it). Returns the ones newly marked.
   */
  async markStalled(liveNodes: readonly string[]): Promise<string[]> {
    return inTransaction(this.db, async (c) => {
      const { rows } = await c.query<{ id: string; node_id: string | null }>(
        `UPDATE renders SET stalled_since = now()
          WHERE state = 'active' AND stalled_since IS NULL AND node_id IS NOT NULL
            AND NOT (node_id = ANY($1::text[]))
          RETURNING id, node_id`,
        [liveNodes],
      );
      for (const r of rows)
        await addEvent(
          c,
          r.id,
          'node-lost',
          r.node_id,
          `render node ${r.node_id} stopped reporting; stalled, waiting for a render node to take it over`,
        );
      return rows.map((r) => r.id);
    });
  }

  async addEvent(id: string, kind: string, nodeId: string | null, message: string): Promise<void> {
    await addEvent(this.db, id, kind, nodeId, message);
  }

  async events(id: string): Promise<RenderEvent[]> {
    const { rows } = await this.db.query<{ at: Date; kind: string; node_id: string | null; message: string }>(
      'SELECT at, kind, node_id, message FROM render_events WHERE render_id = $1 ORDER BY id',
      [id],
    );
    return rows.map((r) => ({ at: r.at, kind: r.kind, nodeId: r.node_id, message: r.message }));
  }

  /** Records an uploaded file (again: the newest bytes win, and the count of uploads grows). */
  async putFile(renderId: string, f: Omit<RenderFile, 'uploads'>): Promise<void> {
    await this.db.query(
      `INSERT INTO render_files (render_id, name, sha256, bytes, content_type) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (render_id, name) DO UPDATE SET sha256 = EXCLUDED.sha256, bytes = EXCLUDED.bytes,
         content_type = EXCLUDED.content_type, uploads = render_files.uploads + 1, uploaded_at = now()`,
      [renderId, f.name, f.sha256, f.bytes, f.contentType],
    );
  }

  async file(renderId: string, name: string): Promise<RenderFile | undefined> {
    return (await this.files(renderId, name))[0];
  }

  /**
   * A file of that name uploaded for any render of the same tenant as `renderId`: parts of a voice are
   * named by their content, so one made for an earlier version serves the next. Never across tenants.
   */
  async tenantFile(renderId: string, name: string): Promise<RenderFile | undefined> {
    const { rows } = await this.db.query<{
      sha256: string;
      bytes: string;
      content_type: string;
      uploads: number;
    }>(
      `SELECT f.sha256, f.bytes, f.content_type, f.uploads
       FROM renders r JOIN renders o ON o.tenant_id = r.tenant_id
       JOIN render_files f ON f.render_id = o.id AND f.name = $2
       WHERE r.id = $1 LIMIT 1`,
      [renderId, name],
    );
    const f = rows[0];
    return (
      f && { name, sha256: f.sha256, bytes: Number(f.bytes), contentType: f.content_type, uploads: f.uploads }
    );
  }

  async files(renderId: string, name?: string): Promise<RenderFile[]> {
    const { rows } = await this.db.query<{
      name: string;
      sha256: string;
      bytes: string;
      content_type: string;
      uploads: number;
    }>(
      `SELECT name, sha256, bytes, content_type, uploads FROM render_files
       WHERE render_id = $1 AND ($2::text IS NULL OR name = $2) ORDER BY name`,
      [renderId, name ?? null],
    );
    return rows.map((r) => ({
      name: r.name,
      sha256: r.sha256,
      bytes: Number(r.bytes),
      contentType: r.content_type,
      uploads: r.uploads,
    }));
  }
}

function addEvent(
  c: Pick<pg.Pool | pg.PoolClient, 'query'>,
  id: string,
  kind: string,
  nodeId: string | null,
  message: string,
): Promise<unknown> {
  return c.query('INSERT INTO render_events (render_id, kind, node_id, message) VALUES ($1, $2, $3, $4)', [
    id,
    kind,
    nodeId,
    message,
  ]);
}
