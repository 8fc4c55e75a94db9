import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import { inTransaction, type Db } from '../db/database.js';

export interface ToolKeyInfo {
  readonly kid: string;
  readonly createdAt: Date;
  /** When a newer key took over; null for the active key. */
  readonly retiredAt: Date | null;
  /** Still in the published keyset (active, or retired within the grace period). */
  readonly published: boolean;
}

export interface SignOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly expiresInSec: number;
  readonly subject?: string;
}

/**
 * The tool's RS256 signing keys, kept in PostgreSQL so every instance signs with the same key and
 * publishes the same keyset. The first start makes one; `rotate` makes a new active key and retires
 * the old one, which stays published for the grace period and is then deleted.
 */
export class ToolKeys {
  private readonly imported = new Map<string, CryptoKey>();

  constructor(
    private readonly db: Db,
    private readonly graceHours: number,
  ) {}

  /** Makes the first key if there is none; concurrent first starts agree on one. */
  async ensure(): Promise<void> {
    const { rowCount } = await this.db.query('SELECT 1 FROM tool_keys WHERE retired_at IS NULL');
    if (rowCount) return;
    const k = await newKey();
    await this.db.query(
      'INSERT INTO tool_keys (kid, private_jwk, public_jwk) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [k.kid, k.privateJwk, k.publicJwk],
    );
  }

  /** A new active key; the previous one is retired (still published for the grace period). */
  async rotate(): Promise<{ kid: string; retired: string[]; deleted: string[] }> {
    const k = await newKey();
    return inTransaction(this.db, async (client) => {
      const retired = await client.query<{ kid: string }>(
        'UPDATE tool_keys SET retired_at = now() WHERE retired_at IS NULL RETURNING kid',
      );
      await client.query('INSERT INTO tool_keys (kid, private_jwk, public_jwk) VALUES ($1, $2, $3)', [
        k.kid,
        k.privateJwk,
        k.publicJwk,
      ]);
      const deleted = await client.query<{ kid: string }>(
        `DELETE FROM tool_keys WHERE retired_at < now() - make_interval(secs => $1) RETURNING kid`,
        [this.graceHours * 3600],
      );
      return { kid: k.kid, retired: retired.rows.map((r) => r.kid), deleted: deleted.rows.map((r) => r.kid) };
    });
  }

  async list(): Promise<ToolKeyInfo[]> {
    const { rows } = await this.db.query<{
      kid: string;
      created_at: Date;
      retired_at: Date | null;
      published: boolean;
    }>(
      `SELECT kid, created_at, retired_at,
              (retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)) AS published
         FROM tool_keys ORDER BY created_at DESC`,
      [this.graceHours * 3600],
    );
    return rows.map((r) => ({
      kid: r.kid,
      createdAt: r.created_at,
      retiredAt: r.retired_at,
      published: r.published,
    }));
  }

  /** The public keyset: the active key first, then retired keys still within their grace. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const { rows } = await this.db.query<{ public_jwk: JWK }>(
      `SELECT public_jwk FROM tool_keys
        WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)
        ORDER BY retired_at DESC NULLS FIRST`,
      [this.graceHours * 3600],
    );
    return { keys: rows.map((r) => r.public_jwk) };
  }

  /** Signs `claims` as a JWT with the active key (its kid in the header). */
  async sign(claims: JWTPayload, o: SignOptions): Promise<string> {
    const { rows } = await this.db.query<{ kid: string; private_jwk: JWK }>(
      'SELECT kid, private_jwk FROM tool_keys WHERE retired_at IS NULL',
    );
    const row = rows[0];
    if (!row) throw new Error('the tool has no active signing key (ToolKeys.ensure was not run)');
    let key = this.imported.get(row.kid);
    if (!key) {
      key = (await importJWK(row.private_jwk, 'RS256')) as CryptoKey;
      this.imported.set(row.kid, key);
    }
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: row.kid })
      .setIssuer(o.issuer)
      .setAudience(o.audience)
      .setIssuedAt()
      .setExpirationTime(`${o.expiresInSec}s`);
    if (o.subject) jwt.setSubject(o.subject);
    return jwt.sign(key);
  }
}

async function newKey(): Promise<{ kid: string; privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', {
    modulusLength: 2048,
    extractable: true,
  });
  const pub = await exportJWK(publicKey);
  // The kid is the key's RFC 7638 thumbprint: stable, and never the same for two keys.
  const kid = await calculateJwkThumbprint(pub);
  return {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256' },
    publicJwk: { ...pub, kid, alg: 'RS256', use: 'sig' },
  };
}
