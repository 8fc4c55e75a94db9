import type { Db } from '../db/database.js';

/** A course as its LMS named it at the latest launch from it. */
export interface CourseContext {
  readonly tenantId: string;
  readonly contextId: string;
  readonly platformId: string;
  readonly title?: string;
  readonly label?: string;
  /** Its roster (NRPS context_memberships_url), when the platform offers one. */
  readonly membershipsUrl?: string;
}

/**
 * The courses the tool was launched from (owner of lti_contexts): what their LMS calls them, for
 * dashboards and exports, and where their roster is, for the platform check.
 */
export class CourseContexts {
  constructor(private readonly db: Db) {}

  /** Records a launch from the course; its names and roster URL are the newest the LMS sent. */
  async seen(c: CourseContext): Promise<void> {
    await this.db.query(
      `INSERT INTO lti_contexts (tenant_id, context_id, platform_id, title, label, memberships_url)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant_id, context_id) DO UPDATE SET platform_id = EXCLUDED.platform_id,
         title = COALESCE(EXCLUDED.title, lti_contexts.title),
         label = COALESCE(EXCLUDED.label, lti_contexts.label),
         memberships_url = COALESCE(EXCLUDED.memberships_url, lti_contexts.memberships_url),
         last_launch_at = now()`,
      [
        c.tenantId,
        c.contextId,
        c.platformId,
        c.title?.slice(0, 500) ?? null,
        c.label?.slice(0, 200) ?? null,
        c.membershipsUrl?.slice(0, 2000) ?? null,
      ],
    );
  }

  /** The platform's most recently launched course that has a roster. */
  async latestWithRoster(platformId: string): Promise<CourseContext | undefined> {
    const { rows } = await this.db.query<{
      tenant_id: string;
      context_id: string;
      title: string | null;
      label: string | null;
      memberships_url: string;
    }>(
      `SELECT tenant_id, context_id, title, label, memberships_url FROM lti_contexts
       WHERE platform_id = $1 AND memberships_url IS NOT NULL ORDER BY last_launch_at DESC LIMIT 1`,
      [platformId],
    );
    const r = rows[0];
    return (
      r && {
        tenantId: r.tenant_id,
        contextId: r.context_id,
        platformId,
        title: r.title ?? undefined,
        label: r.label ?? undefined,
        membershipsUrl: r.memberships_url,
      }
    );
  }
}
