import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../db/database.js';
import type { TenantRepository } from '../tenants/tenant-repository.js';

export interface LtiPlatform {
  readonly id: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly name: string;
  readonly registeredVia: 'dynamic' | 'manual';
  readonly keysetUrl: string;
  /** The platform's deployments, sorted (the keys of tenantByDeployment). */
  readonly deploymentIds: readonly string[];
  /** Each deployment's tenant. */
  readonly tenantByDeployment: Readonly<Record<string, string>>;
}

/** A tenant per platform + deployment: the id is stable, so registering again finds the same lessons. */
export const tenantIdOf = (issuer: string, clientId: string, deploymentId: string): string =>
  `lti-${createHash('sha256').update(`${issuer}\n${clientId}\n${deploymentId}`).digest('hex').slice(0, 20)}`;

/** Our record of registered platforms and their deployments (ltijs keeps keys and endpoints). */
export class LtiRegistry {
  constructor(
    private readonly db: Db,
    private readonly tenants: TenantRepository,
  ) {}

  async addPlatform(p: {
    issuer: string;
    clientId: string;
    name: string;
    via: 'dynamic' | 'manual';
    keysetUrl: string;
    tokenUrl: string;
    product?: string;
  }): Promise<string> {
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO lti_platforms (id, issuer, client_id, name, registered_via, product, keyset_url, token_url)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (issuer, client_id) DO UPDATE
         SET name = EXCLUDED.name, keyset_url = EXCLUDED.keyset_url, token_url = EXCLUDED.token_url
       RETURNING id`,
      [randomUUID(), p.issuer, p.clientId, p.name, p.via, p.product ?? null, p.keysetUrl, p.tokenUrl],
    );
    return rows[0]!.id;
  }

  async addDeployment(platformId: string, deploymentId: string): Promise<string> {
    const p = await this.platform(platformId);
    if (!p) throw new Error(`no platform ${platformId}`);
    const tenantId = tenantIdOf(p.issuer, p.clientId, deploymentId);
    await this.tenants.ensureTenant(tenantId, `${p.name} · deployment ${deploymentId}`);
    await this.db.query(
      `INSERT INTO lti_deployments (platform_id, deployment_id, tenant_id) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING`,
      [platformId, deploymentId, tenantId],
    );
    return tenantId;
  }

  async platform(id: string): Promise<LtiPlatform | undefined> {
    return (await this.query('p.id = $1', [id]))[0];
  }

  /** Who we are at a platform and where its service tokens come from (AGS, NRPS). */
  async servicePlatform(id: string): Promise<{ id: string; clientId: string; tokenUrl: string } | undefined> {
    const { rows } = await this.db.query<{ id: string; client_id: string; token_url: string | null }>(
      'SELECT id, client_id, token_url FROM lti_platforms WHERE id = $1',
      [id],
    );
    const r = rows[0];
    return r?.token_url ? { id: r.id, clientId: r.client_id, tokenUrl: r.token_url } : undefined;
  }

  async list(): Promise<LtiPlatform[]> {
    return this.query('true', []);
  }

  /** The platform an id_token names (issuer and one of its audiences), with its keyset URL. */
  async platformByClient(issuer: string, clientIds: readonly string[]): Promise<LtiPlatform | undefined> {
    return (await this.query('p.issuer = $1 AND p.client_id = ANY($2::text[])', [issuer, clientIds]))[0];
  }

  private async query(where: string, params: unknown[]): Promise<LtiPlatform[]> {
    const { rows } = await this.db.query<{
      id: string;
      issuer: string;
      client_id: string;
      name: string;
      registered_via: 'dynamic' | 'manual';
      keyset_url: string;
      tenants: Record<string, string> | null;
    }>(
      `SELECT p.id, p.issuer, p.client_id, p.name, p.registered_via, p.keyset_url,
              json_object_agg(d.deployment_id, d.tenant_id) FILTER (WHERE d.deployment_id IS NOT NULL) AS tenants
       FROM lti_platforms p LEFT JOIN lti_deployments d ON d.platform_id = p.id
       WHERE ${where}
       GROUP BY p.id ORDER BY p.created_at`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      issuer: r.issuer,
      clientId: r.client_id,
      name: r.name,
      registeredVia: r.registered_via,
      keysetUrl: r.keyset_url,
      deploymentIds: Object.keys(r.tenants ?? {}).sort(),
      tenantByDeployment: r.tenants ?? {},
    }));
  }
}
