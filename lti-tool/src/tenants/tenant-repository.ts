import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';

export interface ApiKey {
  readonly id: string;
  readonly tenantId: string;
  /** Shown once; only its sha256 is stored. */
  readonly secret: string;
}

const digest = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Tenants and the API keys that act for them. */
export class TenantRepository {
  constructor(private readonly db: Db) {}

  async ensureTenant(id: string, name: string): Promise<void> {
    await this.db.query('INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [
      id,
      name,
    ]);
  }

  /** Every tenant, by name (for the admin pages' choices). */
  async list(): Promise<{ id: string; name: string }[]> {
    const { rows } = await this.db.query<{ id: string; name: string }>(
      'SELECT id, name FROM tenants ORDER BY name, id',
    );
    return rows;
  }

  async exists(id: string): Promise<boolean> {
    const { rowCount } = await this.db.query('SELECT 1 FROM tenants WHERE id = $1', [id]);
    return rowCount === 1;
  }

  async createApiKey(tenantId: string, label = ''): Promise<ApiKey> {
    const id = `key_${randomBytes(6).toString('hex')}`;
    // The key id is part of the secret, so a leaked secret is easy to find and revoke.
    const secret = `vt_${id}_${randomBytes(24).toString('base64url')}`;
    await this.db.query(
      'INSERT INTO api_keys (id, tenant_id, secret_sha256, label) VALUES ($1, $2, $3, $4)',
      [id, tenantId, digest(secret), label],
    );
    return { id, tenantId, secret };
  }

  async revokeApiKey(id: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL',
      [id],
    );
    return rowCount === 1;
  }

  /** The tenant an API key acts for, or undefined for an unknown or revoked key. */
  async tenantOfApiKey(secret: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ tenant_id: string }>(
      'SELECT tenant_id FROM api_keys WHERE secret_sha256 = $1 AND revoked_at IS NULL',
      [digest(secret)],
    );
    return rows[0]?.tenant_id;
  }
}
