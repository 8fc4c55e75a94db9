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

const both = (en: string, zh: string): Bilingual => ({ en, zh });

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
            detail: both('No token URL is registered for this platform.', '该平台未登记访问令牌 URL。'),
            fix: both(
              'Register the platform again with its access token URL (Moodle: /mod/lti/token.php).',
              '请重新注册该平台并填写访问令牌 URL（Moodle：/mod/lti/token.php）。',
            ),
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
          both(`The tool may not connect to ${url}: ${e.message}.`, `工具不允许连接 ${url}：${e.message}。`),
          both(
            'The platform is on a private address. If that is intended (an LMS on your own network), start the tool with VT_ALLOW_PRIVATE_HOSTS=true.',
            '该平台位于内网地址。如确属内网 LMS，请以 VT_ALLOW_PRIVATE_HOSTS=true 启动工具。',
          ),
        );
      return fail(
        both(
          `The platform's keyset could not be fetched from ${url}: ${(e as Error).message}.`,
          `无法从 ${url} 获取平台公钥集：${(e as Error).message}。`,
        ),
        both(
          'Check that the tool’s server can reach the LMS (DNS, firewall, proxy) and that the keyset URL is right (Moodle: /mod/lti/certs.php).',
          '请确认工具服务器能访问 LMS（DNS、防火墙、代理），且公钥集 URL 正确（Moodle：/mod/lti/certs.php）。',
        ),
      );
    }
    const body = (await res.json().catch(() => undefined)) as { keys?: unknown[] } | undefined;
    if (!res.ok || !Array.isArray(body?.keys) || !body.keys.length)
      return fail(
        both(
          `${url} answered ${res.status}${res.ok ? ' without keys' : ''}.`,
          `${url} 返回 ${res.status}${res.ok ? '，但没有公钥' : ''}。`,
        ),
        both(
          'Check the platform’s public keyset URL (Moodle: /mod/lti/certs.php).',
          '请检查平台公钥集 URL（Moodle：/mod/lti/certs.php）。',
        ),
      );
    return {
      name: 'keyset',
      outcome: 'passed',
      detail: both(
        `The platform’s keyset has ${body.keys.length} key(s).`,
        `平台公钥集包含 ${body.keys.length} 个密钥。`,
      ),
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
        detail: both(
          'The platform verified our signed request (it fetched the tool’s keyset) and gave a service token.',
          '平台验证了我们的签名请求（已获取工具公钥集）并发放了服务令牌。',
        ),
      };
    } catch (e) {
      const status = e instanceof DeliveryError ? e.status : undefined;
      return {
        name: 'token',
        outcome: 'failed',
        detail: both(
          `The ${(e as Error).message.split(':')[0]}.`,
          `访问令牌请求失败（${(e as Error).message.split(':')[0]}）。`,
        ),
        fix: this.tokenFix(status, (e as Error).message),
      };
    }
  }

  /** What to change when the token endpoint says no; for a 404, Moodle's HTTP security by name. */
  private tokenFix(status: number | undefined, message: string): Bilingual {
    const u = new URL(this.d.publicUrl);
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    if (status === 404)
      return both(
        `The platform could not fetch the tool’s keyset (${u.origin}/lti/keys) to verify us. In Moodle: Site administration → General → Security → HTTP security: remove ${u.hostname} (or the range holding its address) from “cURL blocked hosts list”${['80', '443'].includes(port) ? '' : ` and add ${port} to “cURL allowed ports list”`}; save, then purge caches (Site administration → Development → Purge caches) and check again.`,
        `平台无法获取工具公钥集（${u.origin}/lti/keys）以验证我们。在 Moodle 中：网站管理 → 通用 → 安全 → HTTP 安全：从“cURL 阻止的主机列表”中删除 ${u.hostname}（或包含其地址的网段）${['80', '443'].includes(port) ? '' : `，并将 ${port} 加入“cURL 允许的端口列表”`}；保存后清除缓存（网站管理 → 开发 → 清除缓存），再检查一次。`,
      );
    if (/invalid_scope|grants none/.test(message))
      return both(
        'In the tool’s settings on the LMS, set “IMS LTI Assignment and Grade Services” to “Use this service for grade sync and column management” and “IMS LTI Names and Role Provisioning” to “Use this service to retrieve members’ information”.',
        '在 LMS 的工具设置中，将“IMS LTI 作业与成绩服务”设为“用于成绩同步和列管理”，将“IMS LTI 姓名与角色服务”设为“用于获取成员信息”。',
      );
    if (status === 400 || status === 401)
      return both(
        `The platform does not accept our signature: check that its client ID for the tool is the one registered here and that its public keyset URL is ${u.origin}/lti/keys.`,
        `平台不接受我们的签名：请确认其客户端 ID 与此处登记的一致，且公钥集 URL 为 ${u.origin}/lti/keys。`,
      );
    return both(
      'The token endpoint is unreachable or failing: check the token URL (Moodle: /mod/lti/token.php) and that the LMS is up.',
      '访问令牌端点不可达或出错：请检查令牌 URL（Moodle：/mod/lti/token.php）并确认 LMS 正常运行。',
    );
  }

  private async roster(service: { id: string; clientId: string; tokenUrl: string }): Promise<CheckStep> {
    const platformId = service.id;
    const course = await this.d.contexts.latestWithRoster(platformId);
    if (!course)
      return {
        name: 'roster',
        outcome: 'skipped',
        detail: both(
          'No course has launched the tool yet: the roster is checked once one has.',
          '尚无课程启动过该工具：有课程启动后再检查名单。',
        ),
      };
    const name = course.title ?? course.contextId;
    // With a new token: the platform's settings now decide what it grants.
    this.d.tokens.forget(service, [NRPS_SCOPE]);
    try {
      const members = await this.d.lms.fetchRoster({ platformId, membershipsUrl: course.membershipsUrl! });
      return {
        name: 'roster',
        outcome: 'passed',
        detail: both(
          `The roster of “${name}” has ${members.length} member(s).`,
          `“${name}”的名单有 ${members.length} 名成员。`,
        ),
      };
    } catch (e) {
      return {
        name: 'roster',
        outcome: 'failed',
        detail: both(
          `The roster of “${name}” could not be read: ${(e as Error).message.split(':')[0]}.`,
          `无法读取“${name}”的名单：${(e as Error).message.split(':')[0]}。`,
        ),
        fix: both(
          'In the tool’s settings on the LMS, set “IMS LTI Names and Role Provisioning” to “Use this service to retrieve members’ information as per privacy settings”, and “Share launcher’s name with tool” to “Always”.',
          '在 LMS 的工具设置中，将“IMS LTI 姓名与角色服务”设为“按隐私设置获取成员信息”，并将“与工具共享启动者姓名”设为“始终”。',
        ),
      };
    }
  }
}

const skipped = (after: CheckStepName): CheckStep => ({
  name: 'roster',
  outcome: 'skipped',
  detail: both(
    `Not tried: the ${after} step failed.`,
    `未尝试：${after === 'token' ? '令牌' : after} 步骤失败。`,
  ),
});
