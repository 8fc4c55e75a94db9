import { randomUUID } from 'node:crypto';
import type { RenderProgress, RenderResult } from '../../render-node/src/contract/render-job.js';
import type {
  NewRender,
  Render,
  RenderEvent,
  RenderFile,
  RenderState,
} from '../../lti-tool/src/renders/render-repository.js';
import type { RenderStore } from '../../lti-tool/src/renders/render-service.js';

/**
 * The render tables in memory for the lifecycle's fast tests, with the guards the SQL has: a state
 * changes only from one of the states named, progress lands only on a queued or active render. The
 * PostgreSQL repository is run by the integration suite (render-farm, farm-faults).
 */
export class MemoryRenders implements RenderStore {
  readonly renders = new Map<string, Render>();
  readonly events = new Map<string, RenderEvent[]>();
  readonly files = new Map<string, RenderFile>();

  async create(n: NewRender): Promise<Render> {
    const r: Render = {
      id: randomUUID(),
      tenantId: n.tenantId,
      lessonId: n.lessonId ?? randomUUID(),
      versionId: randomUUID(),
      engine: n.engine,
      state: 'submitted',
      progress: null,
      nodeId: null,
      error: null,
      result: null,
      portraitSha256: n.portraitSha256,
      audioSha256: n.audioSha256,
      settings: n.settings,
      narration: n.narration ?? null,
      createdAt: new Date(),
      startedAt: null,
      finishedAt: null,
      stalledSince: null,
    };
    this.renders.set(r.id, r);
    this.events.set(r.id, []);
    return r;
  }

  async get(id: string, tenantId?: string): Promise<Render | undefined> {
    const r = this.renders.get(id);
    return r && (!tenantId || r.tenantId === tenantId) ? r : undefined;
  }

  async transition(
    id: string,
    from: readonly RenderState[],
    to: RenderState,
    event: { kind: string; nodeId?: string | null; message: string },
    fields: { error?: string; result?: RenderResult } = {},
  ): Promise<boolean> {
    const r = this.renders.get(id);
    if (!r || !from.includes(r.state)) return false;
    const finished = ['done', 'failed', 'cancelled'].includes(to);
    this.renders.set(id, {
      ...r,
      state: to,
      error: fields.error ?? r.error,
      result: fields.result ?? r.result,
      finishedAt: finished ? new Date() : r.finishedAt,
    });
    await this.addEvent(id, event.kind, event.nodeId ?? null, event.message);
    return true;
  }

  async recordProgress(id: string, p: RenderProgress): Promise<{ previousNode: string | null } | undefined> {
    const r = this.renders.get(id);
    if (!r || !['submitted', 'queued', 'active'].includes(r.state)) return undefined;
    // As the SQL: a report older than the stored one from the same node is stale.
    if (r.progress && r.nodeId === p.nodeId && Date.parse(r.progress.at) > Date.parse(p.at)) return undefined;
    this.renders.set(id, {
      ...r,
      progress: p,
      nodeId: p.nodeId,
      state: 'active',
      startedAt: r.startedAt ?? new Date(),
    });
    return { previousNode: r.nodeId };
  }

  async addEvent(id: string, kind: string, nodeId: string | null, message: string): Promise<void> {
    this.events.get(id)?.push({ at: new Date(), kind, nodeId, message });
  }

  async file(renderId: string, name: string): Promise<RenderFile | undefined> {
    return this.files.get(`${renderId}/${name}`);
  }

  /** A file as the node's upload would have recorded it. */
  uploaded(renderId: string, f: { name: string; sha256: string; bytes: number; contentType: string }): void {
    this.files.set(`${renderId}/${f.name}`, { ...f, uploads: 1 });
  }

  kinds(id: string): string[] {
    return (this.events.get(id) ?? []).map((e) => e.kind);
  }
}
