import { LRUCache } from 'lru-cache';
import { captionsName, narrationTrack } from '../narration/narration-tracks.js';
import type { RenderRepository } from '../renders/render-repository.js';

/** A file a browser may fetch from a finished render. */
export interface PlayableFile {
  readonly sha256: string;
  readonly contentType: string;
}

/**
 * What a finished render lets a browser fetch: its own outputs (never chunks) and its script's
 * captions and chapters. A player asks for a lesson in hundreds of Range requests and HLS segments;
 * a finished render's files never change, so each render is read from PostgreSQL once and kept for
 * a short while (a deleted one stops serving within `ttlMs`; its signed URLs expire anyway).
 */
export class FinishedFiles {
  private readonly cache: LRUCache<string, { files: ReadonlyMap<string, PlayableFile> }>;

  constructor(
    private readonly renders: RenderRepository,
    o: { readonly max: number; readonly ttlMs: number } = { max: 2000, ttlMs: 30_000 },
  ) {
    this.cache = new LRUCache({ max: o.max, ttl: o.ttlMs });
  }

  async get(renderId: string, name: string): Promise<PlayableFile | undefined> {
    let entry = this.cache.get(renderId);
    if (!entry) {
      const render = await this.renders.get(renderId);
      // Only finished renders are kept: one still running gains files, a failed one has none to give.
      if (render?.state !== 'done') return undefined;
      const listed = new Set(render.result?.files.map((f) => f.name));
      const files = new Map<string, PlayableFile>();
      for (const f of await this.renders.files(renderId))
        if (listed.has(f.name)) files.set(f.name, { sha256: f.sha256, contentType: f.contentType });
      // The script's text tracks take precedence, as the route always had them.
      for (const track of render.narration ? [captionsName(render.narration), 'chapters.vtt'] : []) {
        const sha256 = narrationTrack(render.narration, track);
        if (sha256) files.set(track, { sha256, contentType: 'text/vtt; charset=utf-8' });
      }
      entry = { files };
      this.cache.set(renderId, entry);
    }
    return entry.files.get(name);
  }
}
