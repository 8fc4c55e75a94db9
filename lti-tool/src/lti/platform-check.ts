import type { Logger } from 'pino';
import { DeliveryError, type LmsAdapter } from '../../../adapters/lms-adapter.js';
import type { HttpFetch } from '../../../adapters/http-fetch.js';
import { AGS_SCOPE, NRPS_SCOPE } from '../../../adapters/moodle/moodle-adapter.js';
import type { ServiceTokens } from '../../../adapters/moodle/service-tokens.js';
import type { Db } from '../db/database.js';
import { OutboundRefused } from '../net/outbound-http.js';
import type { Bilingual } from '../web/i18n.js';
import type { CourseContexts } from './course-contexts.js';
import type { LtiRegistry } from './lti-registry.js';
import { msg } from '../messages/messages.js';

export type CheckStepName = 'keyset' | 'token' | 'roster';

/** One step of a check: what happened, and when it failed, what the admin should change. */
export interface CheckStep {
  readonly name: CheckStepName;
  readonly outcome: 'passed' | 'failed' | 'skipped';
  readonly detail: Bilingual;
  readonly fix?: Bilingual;
}

export interface PlatformCheckResult {
  readonly platformId: string;
  readonly checkedAt: Date;
  /** Every step that ran passed (a skipped step fails nothing). */
  readonly passed: boolean;
  readonly steps: readonly CheckStep[];
  /** Refused scores sent again because the check passed. */
  readonly resent?: number;
}

export interface PlatformCheckDeps {
  readonly db: Db;
  readonly registry: LtiRegistry;
  readonly contexts: CourseContexts;
  readonly tokens: ServiceTokens;
  readonly lms: LmsAdapter;
  readonly http: HttpFetch;
  /** Sends a platform's refused scores again. */
  readonly resend: (platformId: string, by: string) => Promise<number>;
  /** Where the LMS reaches us (its host and port go into the advice). */
  readonly publicUrl: string;
  readonly log: Logger;
  readonly timeoutMs?: number;
}

/**
 * "Check connection" for a registered LMS (owner of lti_platform_checks): the three things that
 * otherwise fail only later, at a teacher's Publish or a learner's grade. (1) We fetch the platform's
 * keyset (launches are verified with it). (2) We ask its token endpoint for a service token with our
 * signed assertion, which the platform can only verify by fetching our keyset: Moodle's HTTP security
 * blocks that by default for private hosts and ports other than 80/443. (3) We read one course roster
 * (NRPS), once a course has launched the tool. Each red step names the setting to change. A check that
 * passes sends the platform's refused scores again.
 */
export class PlatformCheck {
  constructor(private readonly d: PlatformCheckDeps) {}

  async run(platformId: string, by: string): Promise<PlatformCheckResult | undefined> {
    const platform = await this.d.registry.platform(platformId);
    if (!platform) return undefined;
    const steps: CheckStep[] = [await this.keyset(platform.keysetUrl)];
    const service = await this.d.registry.servicePlatform(platformId);
    steps.push(
      service
        ? await this.token(service)
        : {
            name: 'token',
            outcome: 'failed',
            detail: msg.platformCheck.noTokenUrlIsRegistered,
            fix: msg.platformCheck.registerThePlatformAgainWith,
          },
    );
    steps.push(service && steps[1]!.outcome === 'passed' ? await this.roster(service) : skipped('token'));
    const passed = steps.every((s) => s.outcome !== 'failed');
    const checkedAt = new Date();
    await this.d.db.query(
      `INSERT INTO lti_platform_checks (platform_id, checked_at, passed, steps) VALUES ($1, $2, $3, $4)
       ON CONFLICT (platform_id) DO UPDATE SET checked_at = EXCLUDED.checked_at, passed = EXCLUDED.passed,
         steps = EXCLUDED.steps`,
      [platformId, checkedAt, passed, JSON.stringify(steps)],
    );
    // Scores the LMS refused while it could not verify us go out now that it can.
    const resent = passed ? await this.d.resend(platformId, `platform check (${by})`) : undefined;
    this.d.log.info(
      {
        event: 'platform-check',
        platformId,
        by,
        passed,
        steps: Object.fromEntries(steps.map((s) => [s.name, s.outcome])),
        resent,
      },
      'platform checked',
    );
    return { platformId, checkedAt, passed, steps, resent };
  }

  /** Runs a check in the background (after a registration); a failure to run it is logged. */
  runSoon(platformId: string, by: string): void {
    void this.run(platformId, by).catch((e: Error) =>
      this.d.log.warn({ platformId, err: e.message }, 'platform check could not run'),
    );
  }

  /** The newest check of every platform that has one. */
  async latest(): Promise<Map<string, PlatformCheckResult>> {
    const { rows } = await this.d.db.query<{
      platform_id: string;
      checked_at: Date;
      passed: boolean;
      steps: CheckStep[];
    }>('SELECT platform_id, checked_at, passed, steps FROM lti_platform_checks');
    return new Map(
      rows.map((r) => [
        r.platform_id,
        { platformId: r.platform_id, checkedAt: r.checked_at, passed: r.passed, steps: r.steps },
      ]),
    );
  }

  private async keyset(url: string): Promise<CheckStep> {
    const fail = (detail: Bilingual, fix: Bilingual): CheckStep => ({
      name: 'keyset',
      outcome: 'failed',
      detail,
      fix,
    });
    let res: Response;
    try {
      res = await this.d.http(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.d.timeoutMs ?? 10_000),
      });
    } catch (e) {
      if (e instanceof OutboundRefused)
        return fail(
          msg.platformCheck.theToolMayNotConnect(url, e.message),
          msg.platformCheck.thePlatformIsOnA,
        );
      return fail(
        msg.platformCheck.thePlatformsKeysetCouldNot(url, (e as Error).message),
        msg.platformCheck.checkThatTheToolsServer,
      );
    }
    const body = (await res.json().catch(() => undefined)) as { keys?: unknown[] } | undefined;
    if (!res.ok || !Array.isArray(body?.keys) || !body.keys.length)
      return fail(
        msg.platformCheck.answered(url, res.status, res.ok),
        msg.platformCheck.checkThePlatformsPublicKeyset,
      );
    return {
      name: 'keyset',
      outcome: 'passed',
      detail: msg.platformCheck.thePlatformsKeysetHasKey(body.keys.length),
    };
  }

  private async token(service: { id: string; clientId: string; tokenUrl: string }): Promise<CheckStep> {
    const scopes = [AGS_SCOPE.lineItem, AGS_SCOPE.score, NRPS_SCOPE];
    // A cached token proves nothing about now: ask for a new one.
    this.d.tokens.forget(service, scopes);
    try {
      await this.d.tokens.get(service, scopes);
      return {
        name: 'token',
        outcome: 'passed',
        detail: msg.platformCheck.thePlatformVerifiedOurSigned,
      };
    } catch (e) {
      const status = e instanceof DeliveryError ? e.status : undefined;
      return {
        name: 'token',
        outcome: 'failed',
        detail: msg.platformCheck.tokenRequestFailed(String((e as Error).message.split(':')[0])),
        fix: this.tokenFix(status, (e as Error).message),
      };
    }
  }

  /** What to change when the token endpoint says no; for a 404, Moodle's HTTP security by name. */
  private tokenFix(status: number | undefined, message: string): Bilingual {
    const u = new URL(this.d.publicUrl);
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    if (status === 404) return msg.platformCheck.thePlatformCouldNotFetch(u.origin, u.hostname, port);
    if (/invalid_scope|grants none/.test(message)) return msg.platformCheck.enableGradeServices;
    if (status === 400 || status === 401) return msg.platformCheck.thePlatformDoesNotAccept(u.origin);
    return msg.platformCheck.theTokenEndpointIsUnreachable;
  }

  private async roster(service: { id: string; clientId: string; tokenUrl: string }): Promise<CheckStep> {
    const platformId = service.id;
    const course = await this.d.contexts.latestWithRoster(platformId);
    if (!course)
      return {
        name: 'roster',
        outcome: 'skipped',
        detail: msg.platformCheck.noCourseHasLaunchedThe,
      };
    const name = course.title ?? course.contextId;
    // With a new token: the platform's settings now decide what it grants.
    this.d.tokens.forget(service, [NRPS_SCOPE]);
    try {
      const members = await this.d.lms.fetchRoster({ platformId, membershipsUrl: course.membershipsUrl! });
      return {
        name: 'roster',
        outcome: 'passed',
        detail: msg.platformCheck.theRosterOfHasMember(name, members.length),
      };
    } catch (e) {
      return {
        name: 'roster',
        outcome: 'failed',
        detail: msg.platformCheck.theRosterOfCouldNot(name, String((e as Error).message.split(':')[0])),
        fix: msg.platformCheck.enableRosterService,
      };
    }
  }
}

const skipped = (after: CheckStepName): CheckStep => ({
  name: 'roster',
  outcome: 'skipped',
  detail: msg.platformCheck.notTriedTheStepFailed(after),
});
