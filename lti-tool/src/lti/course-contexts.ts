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
  /** What this instance wrote last per course, and when: a launch that changes nothing writes nothing. */
  private readonly written = new Map<string, { what: string; at: number }>();

  constructor(
    private readonly db: Db,
    /** A course's launch time is refreshed at most this often (it only orders courses for the check). */
    private readonly refreshMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records a launch from the course; its names and roster URL are the newest the LMS sent. Every
   * launch of a course would update one row (and wait on each other's row lock): only a change, or
   * an old launch time, is written.
   */
  async seen(c: CourseContext): Promise<void> {
    const key = `${c.tenantId}\n${c.contextId}`;
    const what = JSON.stringify([c.platformId, c.title, c.label, c.membershipsUrl]);
    const last = this.written.get(key);
    if (last && last.what === what && this.now() - last.at < this.refreshMs) return;
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
    if (this.written.size > 10_000) this.written.clear();
    this.written.set(key, { what, at: this.now() });
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
