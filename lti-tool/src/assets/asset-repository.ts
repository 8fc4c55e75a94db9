import type { Db } from '../db/database.js';

export type AssetKind = 'portrait' | 'audio';

export interface Asset {
  readonly sha256: string;
  readonly kind: AssetKind;
  readonly contentType: string;
  readonly bytes: number;
  readonly originalName: string;
}

/** Which tenant uploaded which content-addressed object, and what it is. */
export class AssetRepository {
  constructor(private readonly db: Db) {}

  async put(tenantId: string, a: Asset): Promise<void> {
    await this.db.query(
      `INSERT INTO assets (tenant_id, sha256, kind, content_type, bytes, original_name)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, sha256) DO NOTHING`,
      [tenantId, a.sha256, a.kind, a.contentType, a.bytes, a.originalName],
    );
  }

  async get(tenantId: string, sha256: string): Promise<Asset | undefined> {
    const { rows } = await this.db.query<{
      sha256: string;
      kind: AssetKind;
      content_type: string;
      bytes: string;
      original_name: string;
    }>(
      'SELECT sha256, kind, content_type, bytes, original_name FROM assets WHERE tenant_id = $1 AND sha256 = $2',
      [tenantId, sha256],
    );
    const r = rows[0];
    return (
      r && {
        sha256: r.sha256,
        kind: r.kind,
        contentType: r.content_type,
        bytes: Number(r.bytes),
        originalName: r.original_name,
      }
    );
  }
}
