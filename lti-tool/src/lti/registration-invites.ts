import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';

export interface RegistrationInvite {
  readonly url: string;
  readonly expiresAt: Date;
}

export interface InviteInfo {
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
}

/** How long a registration URL works: long enough for an LMS admin to get to it, short enough to leak little. */
export const INVITE_HOURS = 72;

const sha256 = (token: string): string => createHash('sha256').update(token).digest('hex');
/** 256 bits, base64url: the only credential an LMS needs to register, so it must not be guessable. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * One-time registration URLs (`/lti/register/<token>`): a tool admin mints one, the LMS admin pastes
 * it into Moodle, and it registers one platform once, before it expires. Only the token's hash is
 * stored. Registration takes the token (`take`) before it calls the LMS, so two uses of one URL
 * never both register, and gives it back (`giveBack`) if the registration failed.
 */
export class RegistrationInvites {
  constructor(
    private readonly db: Db,
    private readonly publicUrl: string,
  ) {}

  async mint(createdBy: string, ttlHours: number): Promise<RegistrationInvite> {
    const token = randomBytes(32).toString('base64url');
    const { rows } = await this.db.query<{ expires_at: Date }>(
      `INSERT INTO lti_registration_invites (token_sha256, created_by, expires_at)
       VALUES ($1, $2, now() + make_interval(secs => $3)) RETURNING expires_at`,
      [sha256(token), createdBy, ttlHours * 3600],
    );
    return { url: `${this.publicUrl}/lti/register/${token}`, expiresAt: rows[0]!.expires_at };
  }

  /** Whether the token may register now (unused, unexpired). */
  async usable(token: string): Promise<boolean> {
    if (!TOKEN.test(token)) return false;
    const { rowCount } = await this.db.query(
      `SELECT 1 FROM lti_registration_invites
        WHERE token_sha256 = $1 AND used_at IS NULL AND expires_at > now()`,
      [sha256(token)],
    );
    return rowCount === 1;
  }

  /** Takes the token for one registration; false when it is unknown, used or expired. */
  async take(token: string): Promise<boolean> {
    if (!TOKEN.test(token)) return false;
    const { rowCount } = await this.db.query(
      `UPDATE lti_registration_invites SET used_at = now()
        WHERE token_sha256 = $1 AND used_at IS NULL AND expires_at > now()`,
      [sha256(token)],
    );
    return rowCount === 1;
  }

  /** Records the platform the token registered. */
  async spent(token: string, platformId: string): Promise<void> {
    await this.db.query('UPDATE lti_registration_invites SET platform_id = $2 WHERE token_sha256 = $1', [
      sha256(token),
      platformId,
    ]);
  }

  /** A registration that failed leaves its token usable again. */
  async giveBack(token: string): Promise<void> {
    await this.db.query(
      'UPDATE lti_registration_invites SET used_at = NULL WHERE token_sha256 = $1 AND platform_id IS NULL',
      [sha256(token)],
    );
  }

  /** Recent invites for the admin page (the URLs themselves are never shown again). */
  async recent(limit = 10): Promise<InviteInfo[]> {
    const { rows } = await this.db.query<{
      created_by: string;
      created_at: Date;
      expires_at: Date;
      used_at: Date | null;
    }>(
      `SELECT created_by, created_at, expires_at, used_at FROM lti_registration_invites
        ORDER BY created_at DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      createdBy: r.created_by,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      usedAt: r.used_at,
    }));
  }
}
