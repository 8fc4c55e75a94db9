import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../db/database.js';

export type PackageFormat = 'scorm12' | 'cmi5';
export const PACKAGE_FORMATS: readonly [PackageFormat, ...PackageFormat[]] = ['scorm12', 'cmi5'];

export interface LessonPackage {
  readonly id: string;
  readonly tenantId: string;
  readonly lessonId: string;
  readonly format: PackageFormat;
}

const TOKEN_PREFIX = 'vt_pkg_';
const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Exported packages (the one writer of `lesson_packages`). Each export is a package of its own with a
 * fresh token, which its launch page presents to open the player: the token is a capability, held by
 * whoever holds the package (the importing LMS), so only its sha256 is stored and it can be revoked.
 */
export class PackageRepository {
  constructor(private readonly db: Db) {}

  async create(
    p: { tenantId: string; lessonId: string; format: PackageFormat },
    by: string,
  ): Promise<LessonPackage & { token: string }> {
    const id = randomUUID();
    const token = `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
    await this.db.query(
      `INSERT INTO lesson_packages (id, tenant_id, lesson_id, format, token_sha256, created_by)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, p.tenantId, p.lessonId, p.format, digest(token), by],
    );
    return { id, ...p, token };
  }

  /** The package a token opens, unless it was revoked. */
  async byToken(token: string): Promise<LessonPackage | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const { rows } = await this.db.query<{
      id: string;
      tenant_id: string;
      lesson_id: string;
      format: PackageFormat;
    }>(
      `SELECT id, tenant_id, lesson_id, format FROM lesson_packages WHERE token_sha256 = $1 AND revoked_at IS NULL`,
      [digest(token)],
    );
    const r = rows[0];
    return r && { id: r.id, tenantId: r.tenant_id, lessonId: r.lesson_id, format: r.format };
  }

  /** Withdraws a package of the tenant's lesson; false when there is none such (or it was withdrawn). */
  async revoke(tenantId: string, lessonId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE lesson_packages SET revoked_at = now()
       WHERE tenant_id = $1 AND lesson_id = $2 AND id = $3 AND revoked_at IS NULL`,
      [tenantId, lessonId, id],
    );
    return rowCount === 1;
  }
}
