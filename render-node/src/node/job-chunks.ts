import { createHash } from 'node:crypto';
import type { RenderNodeConfig } from '../config.js';
import type { RenderJob } from '../contract/render-job.js';
import { sha256File } from '../media/file-hash.js';
import { fetchUploaded, uploadFile } from './transfer.js';

/** A job's resumable parts on the tool: `chunks/<key>/chunk_00000.mp4`, … (and a state.json). */
export class JobChunks {
  readonly prefix: string;

  /**
   * `identity` names everything that makes the parts what they are (engine version, size, encoder
   * settings…): parts made differently go to another folder, so no node joins mismatched parts.
   */
  constructor(
    private readonly spec: RenderJob,
    private readonly config: RenderNodeConfig,
    identity: readonly (string | number)[],
    private readonly signal?: AbortSignal,
  ) {
    const key = createHash('sha256').update(identity.join('|')).digest('hex').slice(0, 16);
    this.prefix = `chunks/${key}`;
  }

  /** Fetches an uploaded part to `target`; false when the tool has none of that name. */
  fetch(name: string, target: string): Promise<boolean> {
    return fetchUploaded(this.spec.outputs.uploadUrl, `${this.prefix}/${name}`, target);
  }

  async upload(name: string, path: string, contentType = 'video/mp4'): Promise<void> {
    await uploadFile(
      this.spec.outputs.uploadUrl,
      { name: `${this.prefix}/${name}`, contentType, sha256: await sha256File(path) },
      path,
      { retryForSec: this.config.VT_UPLOAD_RETRY_SEC, signal: this.signal },
    );
  }
}
