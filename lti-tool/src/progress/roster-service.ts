import type { LmsAdapter } from '../../../adapters/lms-adapter.js';
import type { LtiSession } from '../lti/lti-sessions.js';
import type { CourseMembers } from './course-members.js';

/**
 * Course rosters from the LMS (Names and Role Provisioning Services), so the dashboard also lists
 * learners who have not started. Fetched with an instructor's launch (its NRPS claim names the
 * endpoint) when the stored one is older than `maxAgeSec`.
 */
export class RosterService {
  constructor(
    private readonly members: CourseMembers,
    private readonly lms: LmsAdapter,
    private readonly maxAgeSec: number,
  ) {}

  /** Refreshes the course's roster if it is stale; returns the members fetched, or undefined if fresh. */
  async refresh(session: LtiSession): Promise<number | undefined> {
    const url = (session.launch.nrps as { context_memberships_url?: string } | undefined)
      ?.context_memberships_url;
    if (!url) return undefined;
    if (await this.members.isFresh(session.tenantId, session.contextId, this.maxAgeSec)) return undefined;
    const members = await this.lms.fetchRoster({ platformId: session.platformId, membershipsUrl: url });
    await this.members.replace(session.tenantId, session.contextId, members);
    return members.length;
  }
}
