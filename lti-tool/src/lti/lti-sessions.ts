import { createHash, randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../db/database.js';

export type LtiRole = 'instructor' | 'learner';

/** What the pages of one launch may do, and what deep linking and the services need later. */
export interface LtiSession {
  readonly tenantId: string;
  readonly platformId: string;
  readonly deploymentId: string;
  readonly contextId: string;
  readonly userId: string;
  readonly userName?: string;
  readonly role: LtiRole;
  /** How the session began: an LTI launch, DingTalk's free-login to one lesson, or an exported package. */
  readonly messageType: 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest' | 'DingTalkFreeLogin' | 'Package';
  readonly resourceLinkId?: string;
  readonly lessonId?: string;
  readonly launch: {
    readonly issuer: string;
    readonly clientId: string;
    readonly locale?: string;
    readonly returnUrl?: string;
    readonly deepLinking?: Record<string, unknown>;
    readonly ags?: Record<string, unknown>;
    readonly nrps?: Record<string, unknown>;
  };
}

const SESSION_PREFIX = 'vt_lti_';
export const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Launch sessions in PostgreSQL, found by the sha256 of a token only the launch's pages hold. */
export class LtiSessions {
  constructor(
    private readonly db: Db,
    private readonly ttlSec = 8 * 3600,
  ) {}

  async create(s: LtiSession): Promise<string> {
    const token = `${SESSION_PREFIX}${randomBytes(24).toString('base64url')}`;
    await this.db.query(
      `INSERT INTO lti_sessions (token_sha256, tenant_id, platform_id, deployment_id, context_id, user_id,
         user_name, role, message_type, resource_link_id, lesson_id, launch, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now() + make_interval(secs => $13))`,
      [
        digest(token),
        s.tenantId,
        s.platformId,
        s.deploymentId,
        s.contextId,
        s.userId,
        s.userName ?? null,
        s.role,
        s.messageType,
        s.resourceLinkId ?? null,
        s.lessonId ?? null,
        JSON.stringify(s.launch),
        this.ttlSec,
      ],
    );
    return token;
  }

  static isToken(token: string): boolean {
    return token.startsWith(SESSION_PREFIX);
  }

  async get(token: string): Promise<LtiSession | undefined> {
    if (!LtiSessions.isToken(token)) return undefined;
    const { rows } = await this.db.query<Record<string, unknown>>(
      'SELECT * FROM lti_sessions WHERE token_sha256 = $1 AND expires_at > now()',
      [digest(token)],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      tenantId: r.tenant_id as string,
      platformId: r.platform_id as string,
      deploymentId: r.deployment_id as string,
      contextId: r.context_id as string,
      userId: r.user_id as string,
      userName: (r.user_name as string | null) ?? undefined,
      role: r.role as LtiRole,
      messageType: r.message_type as LtiSession['messageType'],
      resourceLinkId: (r.resource_link_id as string | null) ?? undefined,
      lessonId: (r.lesson_id as string | null) ?? undefined,
      launch: r.launch as LtiSession['launch'],
    };
  }

  /**
   * Ends sessions: a platform's (its organisation disconnected), or only these users' on it (they
   * left). Takes the caller's transaction client when the ending belongs to a larger change.
   */
  async end(platformId: string, userIds?: readonly string[], c: Queryable = this.db): Promise<number> {
    const { rowCount } = await c.query(
      'DELETE FROM lti_sessions WHERE platform_id = $1 AND ($2::text[] IS NULL OR user_id = ANY($2))',
      [platformId, userIds ?? null],
    );
    return rowCount ?? 0;
  }

  /** Deletes sessions whose time is over; idempotent, so every instance may run it. */
  async sweep(): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM lti_sessions WHERE expires_at < now()');
    return rowCount ?? 0;
  }
}
