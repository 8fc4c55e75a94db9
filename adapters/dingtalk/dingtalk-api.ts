import type { HttpFetch } from '../http-fetch.js';
import { DeliveryError, type Notice } from '../lms-adapter.js';
import type { AccessTokenCache } from './access-token-cache.js';
import { countsAgainstQuota, quotaRenews, type CallMeter } from './api-quota.js';
import { penaltyEndsIn } from './penalty-end.js';
import { actionCardMsg } from './work-notice-limits.js';

/** Where DingTalk's services are: the real hosts by default, a simulator in tests. */
export interface DingTalkEndpoints {
  /** The server API (access tokens, users, departments, work notices). */
  readonly oapi: string;
  /** The newer API (a person's OAuth2 token and profile). */
  readonly api: string;
  /** The OAuth2 sign-in pages. */
  readonly login: string;
}

export const DINGTALK_ENDPOINTS: DingTalkEndpoints = {
  oapi: 'https://oapi.dingtalk.com',
  api: 'https://api.dingtalk.com',
  login: 'https://login.dingtalk.com',
};

/** An organisation's internal app, as registered in DingTalk's developer console. */
export interface CorpApp {
  readonly corpId: string;
  readonly appKey: string;
  readonly appSecret: string;
  readonly agentId: string;
}

export interface DingTalkUser {
  readonly userid: string;
  readonly unionid?: string;
  readonly name: string;
  readonly deptIds: readonly number[];
}

/** Error codes of DingTalk's server API that we act on (the rest are reported as they come). */
export const ERRCODE = {
  invalidToken: 40014,
  expiredToken: 42001,
  /** The newer API's answer (HTTP 400) to a token it does not accept. */
  invalidAuthentication: 'InvalidAuthentication',
  /** "Authentication error": the cause is in `sub_code` (a bad token, a limit, a permission). */
  wrapped: 88,
  busy: -1,
  /** No department with that id (it was dissolved, or never was). */
  noSuchDepartment: 60003,
  /** The organisation's monthly calls are used up (adapters/dingtalk/api-quota.ts). */
  quotaExhausted: [90020, 'Forbidden.AccessDenied.ApiCountLimitForOrg'],
  /**
   * Rate limits: the whole platform on one API (90002), one corp a minute (90005), one app a minute
   * (90006), one app a second (90018), a third-party app per corp (90019).
   */
  rateLimited: [
    90002,
    90005,
    90006,
    90018,
    90019,
    // The newer API's per-app and per-platform QPS limits (HTTP 403).
    'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
    'Forbidden.AccessDenied.QpsLimitForApi',
  ],
} as const;

/** DingTalk's ban of an IP over 10,000 calls in 20 s lasts 5 minutes. */
const IP_BAN_MS = 5 * 60_000;

/** Why DingTalk dropped a work notice for a person (`forbidden_list[].code`). */
const NOTICE_LIMIT = { duplicate: 143106 } as const;
const NOTICE_LIMIT_REASON: Readonly<Record<number, string>> = {
  143105: 'over DingTalk’s daily notice limit for this person',
  143103: 'over DingTalk’s recipients-a-minute limit for the app',
  143104: 'over DingTalk’s recipients-a-minute limit for the organisation',
  1430002: 'DingTalk refused the content',
  1430004: 'DingTalk protects this person from notices',
};

/**
 * How long DingTalk's rate limits last when its answer does not say: a second for most, a minute for
 * the per-minute ones.
 */
const waitFor = (errcode: number | string): number =>
  errcode === 90005 || errcode === 90006 ? 60_000 : 1000;

/** A DingTalk answer with a non-zero errcode (or an HTTP error from the newer API). */
export class DingTalkError extends DeliveryError {
  constructor(
    readonly errcode: number | string,
    errmsg: string,
    status?: number,
    retryAfterMs?: number,
  ) {
    const now = new Date();
    const renews = (ERRCODE.quotaExhausted as readonly (number | string)[]).includes(errcode)
      ? quotaRenews(now)
      : undefined;
    if (renews) retryAfterMs ??= renews.getTime() - now.getTime();
    const rate =
      retryAfterMs !== undefined ||
      (ERRCODE.rateLimited as readonly (number | string)[]).includes(errcode) ||
      status === 429;
    // -1 is "system busy": try again later, like an HTTP 5xx.
    const permanent = !rate && errcode !== ERRCODE.busy && status !== undefined && status < 500;
    super(
      `DingTalk ${errcode}: ${errmsg}`,
      permanent,
      status,
      rate ? (retryAfterMs ?? penaltyEndsIn(errmsg) ?? waitFor(errcode)) : undefined,
    );
    this.name = 'DingTalkError';
    this.quotaRenews = renews;
  }

  /** The organisation's calls for the month are used up (90020) until then. */
  readonly quotaRenews: Date | undefined;

  get tokenRejected(): boolean {
    return (
      this.errcode === ERRCODE.invalidToken ||
      this.errcode === ERRCODE.expiredToken ||
      this.errcode === ERRCODE.invalidAuthentication
    );
  }

  get rateLimited(): boolean {
    return this.retryAfterMs !== undefined;
  }
}

/** Rate-limited calls are tried again this many times, after the wait DingTalk's limit implies. */
const RATE_RETRIES = 3;
/** A longer wait than this is not waited out in a call: the caller (a queue) schedules it. */
const MAX_INLINE_WAIT_MS = 5000;

const TIMEOUT_MS = 10_000;

/**
 * DingTalk's server API for one tool: the app's access token (shared by every tool instance through
 * the cache, refreshed once when DingTalk says it expired or is invalid), directory look-ups, work
 * notices and the OAuth2 exchange of a sign-in. Every call has a timeout; errors are DingTalkErrors
 * (DeliveryErrors: rate limits and outages are retryable, refusals are not).
 */
export class DingTalkApi {
  private readonly fetching = new Map<string, Promise<string>>();

  constructor(
    readonly endpoints: DingTalkEndpoints,
    private readonly tokens: AccessTokenCache,
    /** The tool's guarded outbound client. */
    private readonly http: HttpFetch,
    /** Told of every call that counts against an organisation's monthly quota. */
    private readonly meter?: CallMeter,
  ) {}

  /** The app's access token: cached until shortly before it expires, fetched by one caller at a time. */
  async accessToken(app: CorpApp): Promise<string> {
    const cached = await this.tokens.get(app.appKey);
    if (cached) return cached;
    let pending = this.fetching.get(app.appKey);
    if (!pending) {
      pending = this.fetchToken(app).finally(() => this.fetching.delete(app.appKey));
      this.fetching.set(app.appKey, pending);
    }
    return pending;
  }

  /**
   * The app's token from DingTalk's current endpoint (shared/docs/dingtalk.md §1: the older
   * `GET /gettoken` is in its "not recommended" historical docs). The same token serves the older
   * server API; a wrong key or secret is HTTP 400 with a code, a refusal for good.
   */
  private async fetchToken(app: CorpApp): Promise<string> {
    const body = await this.json<{ accessToken: string; expireIn: number }>(
      new URL('/v1.0/oauth2/accessToken', this.endpoints.api),
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appKey: app.appKey, appSecret: app.appSecret }),
      },
    );
    await this.tokens.set(app.appKey, body.accessToken, body.expireIn);
    return body.accessToken;
  }

  /**
   * POSTs to the server API with the app's token. A token DingTalk rejects is renewed once; a
   * per-second rate limit is waited out (with jitter, so instances do not retry in step) up to three times.
   */
  private async call<T>(app: CorpApp, path: string, payload: unknown): Promise<T> {
    for (let renewed = false, limited = 0; ;) {
      const token = await this.accessToken(app);
      const url = new URL(path, this.endpoints.oapi);
      url.searchParams.set('access_token', token);
      if (countsAgainstQuota(path)) this.meter?.counted(app.corpId, path);
      try {
        return await this.json<T>(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payload),
        });
      } catch (e) {
        if (!(e instanceof DingTalkError)) throw e;
        if (e.tokenRejected && !renewed) {
          renewed = true;
          await this.tokens.forget(app.appKey, token);
        } else if (e.rateLimited && limited < RATE_RETRIES && e.retryAfterMs! <= MAX_INLINE_WAIT_MS) {
          limited++;
          await new Promise((r) => setTimeout(r, e.retryAfterMs! * (1 + Math.random() * 0.5)));
        } else throw e;
      }
    }
  }

  private async json<T>(url: URL, init: RequestInit): Promise<T> {
    let res: Response;
    try {
      res = await this.http(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (e) {
      throw new DeliveryError(`DingTalk unreachable: ${(e as Error).message}`, false);
    }
    const text = await res.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // A gateway's error page (5xx) is an outage; any other page is DingTalk's IP ban, which it may
      // also answer as HTML (shared/docs/dingtalk.md §7): every call from here refused for 5 minutes.
      if (res.status >= 500)
        throw new DeliveryError(`DingTalk answered ${res.status} without JSON`, false, res.status);
      throw new DingTalkError(
        'ip-limit',
        'calls from this IP are refused for a while (a page, not JSON)',
        res.status,
        IP_BAN_MS,
      );
    }
    // Over the per-IP limit DingTalk answers neither errcode nor code but a ban: {status: 1111, wait:
    // minutes, punish: 'deny'}, and refuses this IP for that long.
    if (body.punish === 'deny' || body.status === 1111)
      throw new DingTalkError(
        'ip-limit',
        'calls from this IP are refused for a while',
        res.status,
        Number(body.wait ?? IP_BAN_MS / 60_000) * 60_000,
      );
    if (!res.ok) {
      // The newer API: HTTP status with {code, message}.
      throw new DingTalkError(String(body.code ?? res.status), String(body.message ?? ''), res.status);
    }
    if (typeof body.errcode === 'number' && body.errcode !== 0) {
      // 88 wraps the real cause (shared/docs/dingtalk.md §1): a bad or expired token, a QPS limit…
      // Acted on as that cause, so a token is renewed and a limit waited out, not taken as a refusal.
      if (body.errcode === ERRCODE.wrapped && body.sub_code !== undefined) {
        const sub = Number(body.sub_code);
        throw new DingTalkError(
          Number.isInteger(sub) ? sub : String(body.sub_code),
          `${String(body.sub_msg ?? body.errmsg ?? '')} (88)`,
          400,
        );
      }
      throw new DingTalkError(body.errcode, String(body.errmsg ?? ''), 400);
    }
    return body as T;
  }

  /** Free-login: the person a JSAPI auth code was issued to (the code works once, for 5 minutes). */
  async userIdByCode(app: CorpApp, code: string): Promise<{ userid: string; name?: string }> {
    const r = await this.call<{ result: { userid: string; name?: string } }>(
      app,
      '/topapi/v2/user/getuserinfo',
      {
        code,
      },
    );
    return r.result;
  }

  async user(app: CorpApp, userid: string): Promise<DingTalkUser> {
    const r = await this.call<{
      result: { userid: string; unionid?: string; name: string; dept_id_list?: number[] };
    }>(app, '/topapi/v2/user/get', { userid, language: 'zh_CN' });
    return {
      userid: r.result.userid,
      unionid: r.result.unionid,
      name: r.result.name,
      deptIds: r.result.dept_id_list ?? [],
    };
  }

  /** The organisation's user id of a union id; `external` for an external contact (contact_type 1). */
  async userIdByUnionId(app: CorpApp, unionid: string): Promise<{ userid: string; external: boolean }> {
    const r = await this.call<{ result: { userid: string; contact_type?: number } }>(
      app,
      '/topapi/user/getbyunionid',
      { unionid },
    );
    return { userid: r.result.userid, external: r.result.contact_type === 1 };
  }

  /** A department's direct sub-departments, with names (for the admin's picker). */
  async subDepartments(app: CorpApp, deptId: number): Promise<{ id: number; name: string }[]> {
    const r = await this.call<{ result: { dept_id: number; name: string }[] }>(
      app,
      '/topapi/v2/department/listsub',
      { dept_id: deptId, language: 'zh_CN' },
    );
    return r.result.map((d) => ({ id: d.dept_id, name: d.name }));
  }

  /** Everyone in a department and all departments under it. */
  async departmentMembers(app: CorpApp, deptId: number): Promise<string[]> {
    const users = new Set<string>();
    const queue = [deptId];
    for (const seen = new Set<number>(); queue.length;) {
      const dept = queue.shift()!;
      if (seen.has(dept)) continue;
      seen.add(dept);
      const [members, subs] = await Promise.all([
        this.call<{ result: { userid_list: string[] } }>(app, '/topapi/user/listid', { dept_id: dept }),
        this.call<{ result: { dept_id_list: number[] } }>(app, '/topapi/v2/department/listsubid', {
          dept_id: dept,
        }),
      ]);
      members.result.userid_list.forEach((u) => users.add(u));
      queue.push(...subs.result.dept_id_list);
    }
    return [...users];
  }

  /** A work notice (action card) to at most 100 people; answers DingTalk's task id. */
  async sendWorkNotice(app: CorpApp, userids: readonly string[], notice: Notice): Promise<string> {
    const r = await this.call<{ task_id: number | string }>(
      app,
      '/topapi/message/corpconversation/asyncsend_v2',
      { agent_id: Number(app.agentId), userid_list: userids.join(','), msg: actionCardMsg(notice) },
    );
    return String(r.task_id);
  }

  /**
   * What became of a notice so far (getsendresult, one call: its progress is not asked for, since
   * every call counts against the organisation's monthly quota): the recipients DingTalk has handled
   * (listed in any of its result's lists), and of those the ones it did not reach, with DingTalk's
   * reason. Someone refused as a duplicate (143106: the same content already reached them today,
   * e.g. the first try of a send whose answer was lost) has the notice, and is not listed.
   * DingTalk answers for a task only in its first 24 hours.
   */
  async sendResult(
    app: CorpApp,
    taskId: string,
  ): Promise<{ handled: Set<string>; undelivered: Map<string, string> }> {
    const r = await this.call<{
      send_result: {
        invalid_user_id_list?: string[];
        forbidden_user_id_list?: string[];
        failed_user_id_list?: string[];
        read_user_id_list?: string[];
        unread_user_id_list?: string[];
        forbidden_list?: { code?: string | number; userid?: string }[];
      };
    }>(app, '/topapi/message/corpconversation/getsendresult', {
      agent_id: Number(app.agentId),
      task_id: Number(taskId),
    });
    const s = r.send_result;
    const undelivered = new Map<string, string>();
    for (const u of s.invalid_user_id_list ?? []) undelivered.set(u, 'not a member of the organisation');
    const codeOf = new Map((s.forbidden_list ?? []).map((f) => [String(f.userid), Number(f.code)]));
    for (const u of s.forbidden_user_id_list ?? []) {
      const code = codeOf.get(u);
      if (code === NOTICE_LIMIT.duplicate) continue;
      undelivered.set(u, NOTICE_LIMIT_REASON[code ?? 0] ?? 'over DingTalk’s notice limit for this person');
    }
    for (const u of s.failed_user_id_list ?? []) undelivered.set(u, 'DingTalk could not deliver it');
    const handled = new Set([
      ...(s.invalid_user_id_list ?? []),
      ...(s.forbidden_user_id_list ?? []),
      ...(s.failed_user_id_list ?? []),
      ...(s.read_user_id_list ?? []),
      ...(s.unread_user_id_list ?? []),
    ]);
    return { handled, undelivered };
  }

  /** Where an ordinary browser signs in with DingTalk (OAuth2, authorization code). */
  authorizeUrl(app: CorpApp, redirectUri: string, state: string): string {
    const url = new URL('/oauth2/auth', this.endpoints.login);
    url.search = new URLSearchParams({
      redirect_uri: redirectUri,
      response_type: 'code',
      client_id: app.appKey,
      scope: 'openid corpid',
      state,
      prompt: 'consent',
      // No org_type=management: it would offer only organisations the person manages in DingTalk,
      // and a training admin need not be a DingTalk admin (the organisation's adminUserids decide).
      corpId: app.corpId,
    }).toString();
    return url.toString();
  }

  /**
   * The person who signed in: their code exchanged for a user token (which names the organisation
   * they picked on DingTalk's page, `corpId`), then their profile.
   */
  async signedInUser(
    app: CorpApp,
    authCode: string,
  ): Promise<{ unionId: string; nick: string; corpId?: string }> {
    const token = await this.json<{ accessToken: string; corpId?: string }>(
      new URL('/v1.0/oauth2/userAccessToken', this.endpoints.api),
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          clientId: app.appKey,
          clientSecret: app.appSecret,
          code: authCode,
          grantType: 'authorization_code',
        }),
      },
    );
    const me = await this.json<{ unionId: string; nick: string }>(
      new URL('/v1.0/contact/users/me', this.endpoints.api),
      {
        method: 'GET',
        headers: { 'x-acs-dingtalk-access-token': token.accessToken },
      },
    );
    return { unionId: me.unionId, nick: me.nick, ...(token.corpId && { corpId: token.corpId }) };
  }
}
