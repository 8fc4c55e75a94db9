import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import MarkdownIt from 'markdown-it';
import { WebSocketServer, type WebSocket } from 'ws';
import { html, SafeHtml } from '../../lti-tool/src/web/html.js';

export interface SimApp {
  readonly corpId: string;
  readonly appKey: string;
  readonly appSecret: string;
  readonly agentId: string;
  /**
   * The app's directory scope (通讯录权限范围) as departments, when not all staff: user detail
   * (user/get) answers 50002 for anyone outside it; free-login and member lists are not limited.
   */
  readonly scopeDeptIds?: readonly number[];
}

export interface SimUser {
  readonly corpId: string;
  readonly userid: string;
  readonly unionid: string;
  readonly name: string;
  readonly deptIds: number[];
  /** Has management rights in DingTalk's own admin console (a DingTalk admin, not only ours). */
  readonly dingtalkAdmin?: boolean;
  /** An external contact (外部联系人) of the organisation, not its staff: getbyunionid says contact_type 1. */
  readonly external?: boolean;
}

export interface SimDepartment {
  readonly corpId: string;
  readonly id: number;
  readonly name: string;
  readonly parentId: number;
}

/** One asyncsend_v2 call DingTalk accepted. */
export interface SimSend {
  readonly appKey: string;
  readonly taskId: number;
  /** When DingTalk took it (ms). */
  readonly at: number;
  readonly userids: string[];
  readonly msg: { msgtype: string; action_card?: Record<string, string> };
}

const TOKEN_TTL_SEC = 7200;
const CODE_TTL_MS = 5 * 60_000;
const MAX_NOTICE_USERS = 100;
/** A work notice's `msg`, its button title and its button link at most (shared/docs/dingtalk.md §4). */
const MSG_MAX_BYTES = 2048;
const BUTTON_TITLE_MAX_CHARS = 20;
const BUTTON_URL_MAX_CHARS = 500;
/**
 * The APIs that do not count against the monthly quota (shared/docs/dingtalk.md §7): tokens, free-login,
 * the directory. The app's gettoken is not a topapi call and is never counted here.
 */
const QUOTA_EXEMPT = [
  '/topapi/v2/user/getuserinfo',
  '/topapi/v2/user/get',
  '/topapi/user/',
  '/topapi/v2/department/',
];
/** DingTalk answers for a work-notice task (its progress, its result) for this long after the send. */
const TASK_LIFE_MS = 24 * 3600_000;
/** Recipients an app may reach a minute; past it DingTalk answers "sent" and delivers nothing. */
const RECIPIENTS_PER_MINUTE = 5000;
/**
 * Codes a topapi call answers inside `errcode 88` + `sub_code` (shared/docs/dingtalk.md §1 and §7, from
 * DingTalk's error table and live calls): bad and expired tokens, the QPS limits, missing permission,
 * an address not on the allow-list.
 */
const WRAPPED_IN_88 = new Set([40014, 42001, 90018, 90002, 60011, 60020]);

/**
 * A DINGTALK API SIMULATOR, written from DingTalk's public API documentation, for the parts the bridge
 * uses: the app access token (gettoken, 7200 s; a wrong key or secret is 40096; an unknown token is
 * 40014 and an expired one 42001, both wrapped as DingTalk wraps them: errcode 88 with the cause in
 * `sub_code`, HTTP 200), free-login (a JSAPI stand-in script whose requestAuthCode gives a one-time, five-minute
 * code; topapi/v2/user/getuserinfo exchanges it), user detail, union id → user id, departments and
 * their members, work notices (asyncsend_v2: at most 100 user ids; the same content reaches a person
 * once a day, and an app reaches at most 5,000 people a minute, as DingTalk rules: past either the
 * call still succeeds and the result lists those people as "forbidden"; a message over 2,048 bytes or a
 * button over its length is refused), their send progress and result (status 0 → 1 → 2 over
 * `sendingMs`, for 24 hours; `elapse` moves the simulator's clock),
 * rate limiting (88 with sub_code 90018 past a per-second budget per app and API) and DingTalk's OAuth2 web
 * sign-in (login page, userAccessToken, contact/users/me). Event callbacks are sent the way DingTalk
 * signs and encrypts them. Tests steer it: who is signed in on the "device", tokens expired, failures
 * injected. For people (the demo, the browser tests) it has a stand-in of the DingTalk client at
 * /client: choose who is on the device, read their work notices, press a card's button.
 */
export class DingTalkSimulator {
  url = '';
  readonly apps = new Map<string, SimApp>();
  readonly users = new Map<string, SimUser>();
  readonly departments = new Map<string, SimDepartment>();
  readonly sends: SimSend[] = [];
  /** Work notices each person received, by `corpId:userid`. */
  readonly inbox = new Map<string, SimSend['msg'][]>();
  /** Token calls answered (either endpoint), by app key. */
  readonly tokenFetches = new Map<string, number>();
  /** Token calls answered, by endpoint: the legacy `/gettoken` or the current `/v1.0/oauth2/accessToken`. */
  readonly tokenEndpoints = new Map<string, number>();
  /**
   * Every server-API call, by path, with its errcode and, for a wrapped one (88), its sub_code; a call
   * about a work-notice task names it.
   */
  readonly calls: { path: string; errcode: number; subCode?: number; taskId?: number }[] = [];
  /**
   * How long DingTalk takes to send a work notice (on the simulator's clock): a task is "not started"
   * (status 0) for its first third, "sending" (1) until then, with only the recipients handled so far
   * in its result, and "done" (2) after. 0: done when the send is answered.
   */
  sendingMs = 0;
  /** Calls an organisation may make a month to the APIs that count (a standard edition: 5,000). */
  monthlyQuota = Number.POSITIVE_INFINITY;
  /** Calls that counted against the quota, by `corpId month`. */
  private readonly quotaUsed = new Map<string, number>();
  /** Calls per second per app and API before errcode 90018. */
  perSecondLimit = Number.POSITIVE_INFINITY;
  /** The next call to these paths is carried out, but its answer is lost (a timeout, a 502 on the way back). */
  readonly loseAnswerNext = new Set<string>();
  /** The next calls to these paths answer these errcodes (injected failures). */
  readonly failNext: { path: string; errcode: number; errmsg: string }[] = [];
  /** While set, every server-API call gets a 502 from DingTalk's gateway (an outage). */
  outage = false;
  /**
   * The next server-API call is answered as DingTalk answers an IP over its limit: a ban, no errcode,
   * as JSON (`{status: 1111, wait, punish: 'deny'}`) or as an HTML page (shared/docs/dingtalk.md §7).
   */
  banNext: false | 'json' | 'html' = false;
  /** Who is signed in to the DingTalk client, on the device or in the browser (JSAPI and OAuth2). */
  deviceUser: { corpId: string; userid: string } | undefined;
  /** Free-logins whose code came from the historical `dd.runtime.permission.requestAuthCode`. */
  historicalJsapiSignIns = 0;
  private readonly historicalCodes = new Set<string>();
  /** On DingTalk's OAuth2 page, the person picks this organisation (if they belong to it). */
  oauthPicks: string | undefined;
  /** The client's kind: the PC client opens `page/link` links with `pc_slide=false` in the system browser. */
  device: 'mobile' | 'pc' = 'mobile';
  /**
   * Whether the page last opened from a notice went to the system browser (outside DingTalk, where
   * the JSAPI answers "not in DingTalk") rather than the client's own browser or sidebar.
   */
  openedOutside = false;

  private readonly tokens = new Map<string, { appKey: string; expiresAt: number }>();
  private readonly codes = new Map<string, { corpId: string; userid: string; expiresAt: number }>();
  private readonly oauthCodes = new Map<
    string,
    { appKey: string; unionid: string; corpId: string; expiresAt: number }
  >();
  private readonly userTokens = new Map<string, string>();
  private readonly windows = new Map<string, number[]>();
  private readonly tasks = new Map<
    number,
    {
      appKey: string;
      /** When DingTalk took it, on the simulator's clock. */
      at: number;
      userids: string[];
      forbidden: { userid: string; code: number }[];
      invalid: string[];
      read: string[];
    }
  >();
  /** How far the simulator's clock is ahead of the machine's (see `elapse`). */
  private clockAheadMs = 0;
  private readonly delivered = new Map<string, string>(); // corp:user:day:content-hash
  private readonly reached: { appKey: string; at: number }[] = [];
  private nextTask = 1000;
  private server?: Server;
  private wss?: WebSocketServer;
  private readonly streamTickets = new Map<string, string>();
  private readonly streams = new Set<{ appKey: string; id: string; ws: WebSocket }>();
  private readonly streamAcks = new Map<string, (status: string) => void>();

  addApp(app: SimApp): void {
    this.apps.set(app.appKey, app);
  }
  addUser(u: SimUser): void {
    this.users.set(`${u.corpId}:${u.userid}`, u);
  }
  addDepartment(d: SimDepartment): void {
    this.departments.set(`${d.corpId}:${d.id}`, d);
  }

  /**
   * Moves the simulator's clock on (tokens expire, notices finish sending, tasks pass the 24 h after
   * which DingTalk no longer answers for them) without waiting.
   */
  elapse(ms: number): void {
    this.clockAheadMs += ms;
  }

  private now(): number {
    return Date.now() + this.clockAheadMs;
  }

  /** The calls of this month (China's, on the simulator's clock) that counted against the quota. */
  countedCalls(corpId: string): number {
    return (
      this.quotaUsed.get(`${corpId} ${new Date(this.now() + 8 * 3600_000).toISOString().slice(0, 7)}`) ?? 0
    );
  }

  /** Every access token issued so far now answers "expired" (42001), as after 7200 s. */
  expireTokens(): void {
    for (const t of this.tokens.values()) t.expiresAt = 0;
  }

  /** The code the JSAPI's requestAuthCode gives a page on this person's device (one use, five minutes). */
  authCodeFor(corpId: string, userid: string): string {
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, { corpId, userid, expiresAt: Date.now() + CODE_TTL_MS });
    return code;
  }

  received(corpId: string, userid: string): SimSend['msg'][] {
    return this.inbox.get(`${corpId}:${userid}`) ?? [];
  }

  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    const app = express();
    app.use(express.json({ limit: '1mb' }));
    app.get('/gettoken', (req, res) => this.getToken(req, res));
    app.post('/v1.0/oauth2/accessToken', (req, res) => this.accessToken(req, res));
    // Stream mode (shared/docs/dingtalk.md §6): the app asks for a connection with its key and
    // secret, and gets a WebSocket endpoint and a one-time ticket.
    app.post('/v1.0/gateway/connections/open', (req, res) => {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const a = this.apps.get(String(b.clientId ?? ''));
      if (!a || a.appSecret !== b.clientSecret)
        return void res
          .status(400)
          .json({ code: 'invalidClientIdOrSecret', message: '无效的clientId或者clientSecret' });
      const ticket = randomBytes(16).toString('hex');
      this.streamTickets.set(ticket, a.appKey);
      res.json({ endpoint: `${this.url.replace(/^http/, 'ws')}/stream`, ticket });
    });
    const api = (
      path: string,
      handler: (a: SimApp, body: Record<string, unknown>) => Record<string, unknown>,
    ) =>
      app.post(path, (req, res) => {
        const token = this.tokens.get(String(req.query.access_token ?? ''));
        const taskId = path.includes('/corpconversation/getsend') ? Number(req.body?.task_id) : undefined;
        const answer = (errcode: number, errmsg: string, extra: Record<string, unknown> = {}): void => {
          const request_id = randomBytes(6).toString('hex');
          // Authentication and limit failures come wrapped: 88, "look at subCode and subMsg".
          if (WRAPPED_IN_88.has(errcode)) {
            this.calls.push({ path, errcode: 88, subCode: errcode, ...(taskId && { taskId }) });
            return void res.json({
              errcode: 88,
              sub_code: String(errcode),
              sub_msg: errmsg,
              errmsg: `ding talk error[subcode=${errcode},submsg=${errmsg}]`,
              request_id,
            });
          }
          this.calls.push({ path, errcode, ...(taskId && { taskId }) });
          res.json({ errcode, errmsg, ...extra, request_id });
        };
        if (this.outage) {
          this.calls.push({ path, errcode: 502 });
          return void res.status(502).type('html').send('<html><body>502 Bad Gateway</body></html>');
        }
        if (this.banNext) {
          const form = this.banNext;
          this.banNext = false;
          this.calls.push({ path, errcode: 1111 });
          if (form === 'html')
            return void res
              .type('html')
              .send(
                '<!doctype html><html><body><h1>访问被拒绝</h1><p>您的访问过于频繁，请稍后再试。</p></body></html>',
              );
          return void res.json({
            status: 1111,
            wait: 5,
            source: 'x5',
            punish: 'deny',
            uuid: randomBytes(6).toString('hex'),
          });
        }
        if (!token) return answer(40014, '不合法的access_token');
        if (token.expiresAt < this.now()) return answer(42001, 'access_token超时');
        const injected = this.failNext.findIndex((f) => f.path === path);
        if (injected >= 0) {
          const [f] = this.failNext.splice(injected, 1);
          return answer(f!.errcode, f!.errmsg);
        }
        const key = `${token.appKey} ${path}`;
        const now = Date.now();
        const recent = (this.windows.get(key) ?? []).filter((t) => t > now - 1000);
        if (recent.length >= this.perSecondLimit) return answer(90018, '当前请求被限流，请稍后重试');
        recent.push(now);
        this.windows.set(key, recent);
        // The monthly quota (shared/docs/dingtalk.md §7): every API but tokens, free-login and the
        // directory counts, per organisation and month (China's); past it, 90020.
        const corpId = this.apps.get(token.appKey)!.corpId;
        if (!QUOTA_EXEMPT.some((p) => path.startsWith(p))) {
          const month = `${corpId} ${new Date(this.now() + 8 * 3600_000).toISOString().slice(0, 7)}`;
          const used = this.quotaUsed.get(month) ?? 0;
          if (used >= this.monthlyQuota) return answer(90020, '当月接口调用量已达上限');
          this.quotaUsed.set(month, used + 1);
        }
        try {
          const done = handler(this.apps.get(token.appKey)!, (req.body ?? {}) as Record<string, unknown>);
          if (this.loseAnswerNext.delete(path)) {
            this.calls.push({ path, errcode: 502 });
            return void res.status(502).type('html').send('<html><body>502 Bad Gateway</body></html>');
          }
          answer(0, 'ok', done);
        } catch (e) {
          const [errcode, errmsg] = (e as Error).message.split('|');
          answer(Number(errcode), errmsg ?? '');
        }
      });

    api('/topapi/v2/user/getuserinfo', (a, b) => {
      const c = this.codes.get(String(b.code));
      this.codes.delete(String(b.code)); // one use
      if (this.historicalCodes.delete(String(b.code))) this.historicalJsapiSignIns++;
      if (!c || c.expiresAt < Date.now() || c.corpId !== a.corpId)
        throw new Error('40078|不存在的临时授权码');
      const u = this.users.get(`${c.corpId}:${c.userid}`)!;
      return { result: { userid: u.userid, unionid: u.unionid, name: u.name, device_id: 'sim', sys: false } };
    });
    api('/topapi/v2/user/get', (a, b) => {
      const u = this.users.get(`${a.corpId}:${String(b.userid)}`);
      if (!u) throw new Error('33012|无效的USERID');
      if (a.scopeDeptIds && !u.deptIds.some((d) => a.scopeDeptIds!.includes(d)))
        throw new Error('50002|员工不在授权范围');
      return {
        result: {
          userid: u.userid,
          unionid: u.unionid,
          name: u.name,
          dept_id_list: u.deptIds,
          active: true,
          admin: false,
        },
      };
    });
    api('/topapi/user/getbyunionid', (a, b) => {
      const u = [...this.users.values()].find((x) => x.corpId === a.corpId && x.unionid === b.unionid);
      if (!u) throw new Error('60121|找不到该用户');
      return { result: { contact_type: u.external ? 1 : 0, userid: u.userid } };
    });
    // An unknown department is 60003 (shared/docs/dingtalk.md §1); 1 is the organisation itself.
    const dept = (a: SimApp, b: Record<string, unknown>): number => {
      const id = Number(b.dept_id);
      if (id !== 1 && !this.departments.has(`${a.corpId}:${id}`)) throw new Error('60003|部门不存在');
      return id;
    };
    const subs = (a: SimApp, id: number) =>
      [...this.departments.values()].filter((d) => d.corpId === a.corpId && d.parentId === id);
    api('/topapi/v2/department/listsub', (a, b) => ({
      result: subs(a, dept(a, b)).map((d) => ({ dept_id: d.id, name: d.name, parent_id: d.parentId })),
    }));
    api('/topapi/v2/department/listsubid', (a, b) => ({
      result: { dept_id_list: subs(a, dept(a, b)).map((d) => d.id) },
    }));
    api('/topapi/user/listid', (a, b) => ({
      result: {
        userid_list: [...this.users.values()]
          .filter((u) => u.corpId === a.corpId && u.deptIds.includes(dept(a, b)))
          .map((u) => u.userid),
      },
    }));
    api('/topapi/message/corpconversation/asyncsend_v2', (a, b) => {
      if (String(b.agent_id) !== a.agentId) throw new Error('40056|不合法的agentid');
      const userids = String(b.userid_list ?? '')
        .split(',')
        .filter(Boolean);
      if (!userids.length) throw new Error('40035|缺少参数 userid_list');
      if (userids.length > MAX_NOTICE_USERS) throw new Error('40035|userid_list 最多 100 个');
      const msg = b.msg as SimSend['msg'];
      if (msg?.msgtype !== 'action_card' || !msg.action_card?.title || !msg.action_card.single_url)
        throw new Error('40035|不合法的消息');
      // The message limits of shared/docs/dingtalk.md §4. The docs do not say how DingTalk answers a
      // message over them; the simulator refuses it as a bad parameter, so a test sees any such send.
      const chars = (v: string | undefined): number => [...(v ?? '')].length;
      if (Buffer.byteLength(JSON.stringify(msg)) > MSG_MAX_BYTES) throw new Error('40035|msg 超过 2048 字节');
      if (chars(msg.action_card.single_title) > BUTTON_TITLE_MAX_CHARS)
        throw new Error('40035|single_title 最多 20 个字符');
      if (chars(msg.action_card.single_url) > BUTTON_URL_MAX_CHARS)
        throw new Error('40035|single_url 最多 500 个字符');
      const taskId = this.nextTask++;
      const day = new Date().toISOString().slice(0, 10);
      const content = createHash('sha256').update(JSON.stringify(msg)).digest('hex');
      const task = {
        appKey: a.appKey,
        at: this.now(),
        userids,
        forbidden: [] as { userid: string; code: number }[],
        invalid: [] as string[],
        read: [] as string[],
      };
      const now = Date.now();
      let thisMinute = this.reached.filter((r) => r.appKey === a.appKey && r.at > now - 60_000).length;
      for (const u of userids) {
        const who = `${a.corpId}:${u}`;
        if (!this.users.has(who)) task.invalid.push(u);
        // The limit codes of shared/docs/dingtalk.md §4: 143106 the same content again today, 143103
        // the app's recipients a minute.
        else if (this.delivered.has(`${who}:${day}:${content}`))
          task.forbidden.push({ userid: u, code: 143106 });
        else if (thisMinute >= RECIPIENTS_PER_MINUTE) task.forbidden.push({ userid: u, code: 143103 });
        else {
          this.delivered.set(`${who}:${day}:${content}`, String(taskId));
          this.inbox.set(who, [...(this.inbox.get(who) ?? []), msg]);
          this.reached.push({ appKey: a.appKey, at: now });
          thisMinute++;
          task.read.push(u);
        }
      }
      this.tasks.set(taskId, task);
      this.sends.push({ appKey: a.appKey, taskId, at: now, userids, msg });
      return { task_id: taskId };
    });
    // A task's progress and result, for 24 hours only (shared/docs/dingtalk.md §4): after that
    // DingTalk no longer knows the task.
    const taskOf = (a: SimApp, b: Record<string, unknown>) => {
      const t = this.tasks.get(Number(b.task_id));
      if (t?.appKey !== a.appKey || this.now() - t.at > TASK_LIFE_MS) throw new Error('40100|不存在的任务');
      const age = this.now() - t.at;
      const status = age >= this.sendingMs ? 2 : age >= this.sendingMs / 3 ? 1 : 0;
      // Handled so far: nobody before it starts, the first half while it sends, everyone when done.
      const handled = new Set(
        t.userids.slice(0, status === 2 ? undefined : status === 1 ? t.userids.length / 2 : 0),
      );
      return { t, status, handled };
    };
    api('/topapi/message/corpconversation/getsendprogress', (a, b) => {
      const { t, status, handled } = taskOf(a, b);
      return {
        progress: { progress_in_percent: Math.round((100 * handled.size) / t.userids.length), status },
      };
    });
    api('/topapi/message/corpconversation/getsendresult', (a, b) => {
      const { t, handled } = taskOf(a, b);
      const forbidden = t.forbidden.filter((f) => handled.has(f.userid));
      return {
        send_result: {
          invalid_user_id_list: t.invalid.filter((u) => handled.has(u)),
          forbidden_user_id_list: forbidden.map((f) => f.userid),
          forbidden_list: forbidden.map((f) => ({ code: String(f.code), count: 1, userid: f.userid })),
          failed_user_id_list: [],
          read_user_id_list: [],
          unread_user_id_list: t.read.filter((u) => handled.has(u)),
        },
      };
    });

    // The JSAPI side: what dingtalk.open.js gives a page inside the DingTalk client (3.1.0's
    // dd.requestAuthCode({corpId, clientId}), and the historical dd.runtime.permission form).
    app.get('/jsapi/dingtalk.open.js', (_req, res) => {
      const who = this.deviceUser;
      const code = who && !this.openedOutside ? this.authCodeFor(who.corpId, who.userid) : '';
      // A code of its own for the historical call, to tell which one a page used.
      const oldCode = who && !this.openedOutside ? this.authCodeFor(who.corpId, who.userid) : '';
      this.historicalCodes.add(oldCode);
      // The current dd.requestAuthCode also names the app (clientId: its AppKey) in the organisation.
      const appKeys = [...this.apps.values()].filter((a) => a.corpId === who?.corpId).map((a) => a.appKey);
      res.type('application/javascript').send(
        `window.dd = {
  env: { platform: ${JSON.stringify(!who || this.openedOutside ? 'notInDingTalk' : this.device === 'pc' ? 'pc' : 'android')} },
  ready: function (cb) { setTimeout(cb, 0); },
  requestAuthCode: function (o) {
    if (o.corpId !== ${JSON.stringify(who?.corpId ?? '')}) return o.onFail({ errorCode: '3', errorMessage: 'corpId mismatch' });
    if (${JSON.stringify(appKeys)}.indexOf(o.clientId) < 0) return o.onFail({ errorCode: '9', errorMessage: 'clientId mismatch' });
    o.onSuccess({ code: ${JSON.stringify(code)} });
  },
  runtime: { permission: { requestAuthCode: function (o) {
    if (o.corpId !== ${JSON.stringify(who?.corpId ?? '')}) return o.onFail({ errorCode: '3', errorMessage: 'corpId mismatch' });
    o.onSuccess({ code: ${JSON.stringify(oldCode)} });
  } } }
};`,
      );
    });

    // The DingTalk client, for a person at a browser: who is on the device, and their work notices.
    app.get('/client', (req, res) => void res.type('html').send(this.clientPage(req)));
    // A notice's link, opened as the client opens it (shared/docs/dingtalk.md §4, message links):
    // `page/link` in the client's browser, except on PC with `pc_slide=false`, which goes to the system
    // browser; `action/openapp … redirect_url` in the PC workbench.
    app.get('/client/open', (req, res) => {
      const link = new URL(String(req.query.link ?? ''));
      const action = link.host + link.pathname;
      const inner =
        action === 'dingtalkclient/action/openapp'
          ? link.searchParams.get('redirect_url')
          : action === 'dingtalkclient/page/link'
            ? link.searchParams.get('url')
            : null;
      if (link.protocol !== 'dingtalk:' || !inner) return void res.status(400).send('not a DingTalk link');
      this.openedOutside =
        this.device === 'pc' &&
        action === 'dingtalkclient/page/link' &&
        link.searchParams.get('pc_slide') !== 'true';
      res.redirect(302, inner);
    });

    // OAuth2 web sign-in: the person signed in to DingTalk in this browser consents at once.
    app.get('/oauth2/auth', (req, res) => {
      const q = req.query as Record<string, string>;
      const a = this.apps.get(q.client_id ?? '');
      if (!a || q.response_type !== 'code' || !q.redirect_uri)
        return void res.status(400).send('invalid request');
      const who = this.deviceUser && this.users.get(`${this.deviceUser.corpId}:${this.deviceUser.userid}`);
      if (!who) return void res.status(401).send('not signed in to DingTalk');
      // org_type=management offers only organisations the person manages in DingTalk itself
      // (shared/docs/dingtalk.md, #5): anyone else has no organisation to pick and cannot go on.
      if (q.org_type === 'management' && !who.dingtalkAdmin)
        return void res.status(403).send('no organisation you manage · 没有您管理的组织');
      // The organisation the person picks: `corpId` pre-selects one they belong to; otherwise (or when
      // a test says they pick another) the one they are in. The user token's answer names it.
      const member = (corpId: string | undefined) =>
        !!corpId && [...this.users.values()].some((u) => u.corpId === corpId && u.unionid === who.unionid);
      const picked = member(this.oauthPicks) ? this.oauthPicks! : member(q.corpId) ? q.corpId! : who.corpId;
      const code = randomBytes(16).toString('hex');
      this.oauthCodes.set(code, {
        appKey: a.appKey,
        unionid: who.unionid,
        corpId: picked,
        expiresAt: Date.now() + CODE_TTL_MS,
      });
      const back = new URL(q.redirect_uri);
      back.searchParams.set('authCode', code);
      back.searchParams.set('state', q.state ?? '');
      res.redirect(302, back.toString());
    });
    app.post('/v1.0/oauth2/userAccessToken', (req, res) => {
      const b = (req.body ?? {}) as Record<string, string>;
      const a = this.apps.get(b.clientId ?? '');
      const c = this.oauthCodes.get(b.code ?? '');
      this.oauthCodes.delete(b.code ?? '');
      if (!a || a.appSecret !== b.clientSecret)
        return void res.status(400).json({ code: 'invalidClient', message: '应用不存在或密钥错误' });
      if (!c || c.appKey !== a.appKey || c.expiresAt < Date.now() || b.grantType !== 'authorization_code')
        return void res.status(400).json({ code: 'invalidAuthCode', message: '授权码无效' });
      const accessToken = randomBytes(16).toString('hex');
      this.userTokens.set(accessToken, c.unionid);
      res.json({
        accessToken,
        refreshToken: randomBytes(16).toString('hex'),
        expireIn: TOKEN_TTL_SEC,
        corpId: c.corpId,
      });
    });
    app.get('/v1.0/contact/users/me', (req, res) => {
      const unionid = this.userTokens.get(String(req.headers['x-acs-dingtalk-access-token'] ?? ''));
      const u = unionid && [...this.users.values()].find((x) => x.unionid === unionid);
      if (!u)
        return void res.status(400).json({ code: 'InvalidAuthentication', message: '不合法的access_token' });
      res.json({ nick: u.name, unionId: u.unionid, openId: `open-${u.unionid}`, avatarUrl: '' });
    });

    this.server = await new Promise<Server>((resolve) => {
      const s = app.listen(port, '127.0.0.1', () => resolve(s));
    });
    this.url = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    this.openStreams(this.server);
    return this;
  }

  /** The client stand-in: a person picker, or (with corp and user) that person's work notices. */
  private clientPage(req: Request): string {
    const q = req.query as Record<string, string>;
    const who = this.users.get(`${q.corp}:${q.user}`);
    if (who) this.deviceUser = { corpId: who.corpId, userid: who.userid };
    this.device = q.device === 'pc' ? 'pc' : 'mobile';
    const md = new MarkdownIt({ html: false, linkify: false });
    const cards = who ? [...this.received(who.corpId, who.userid)].reverse() : [];
    const open = (link: string): string =>
      link.startsWith('dingtalk://') ? `/client/open?${new URLSearchParams({ link })}` : link;
    const people = [...this.users.values()].slice(0, 200);
    return html`<!doctype html>
      <html lang="zh-CN">
        <head>
          <meta charset="utf-8" />
          <title>DingTalk client (simulator) · 钉钉模拟器</title>
          <style>
            body {
              font:
                16px/1.5 system-ui,
                sans-serif;
              max-width: 40rem;
              margin: 0 auto;
              padding: 1rem;
            }
            article {
              border: 1px solid #d0d7de;
              border-radius: 8px;
              padding: 0.8rem;
              margin: 0.8rem 0;
            }
            img {
              max-width: 100%;
            }
          </style>
        </head>
        <body>
          <h1>DingTalk client (simulator) · 钉钉模拟器</h1>
          ${
            who
              ? html`<p role="status">
                    Signed in as ${who.name} (${who.userid}) · <a href="/client">switch</a>
                  </p>
                  <h2>Work notices · 工作通知</h2>
                  ${cards.length ? '' : html`<p>No notices yet.</p>`}
                  ${cards.map(
                    (m) =>
                      html`<article>
                        <h3>${m.action_card?.title ?? ''}</h3>
                        ${new SafeHtml(md.render(m.action_card?.markdown ?? ''))}
                        <p>
                          <a href="${open(m.action_card?.single_url ?? '')}"
                            >${m.action_card?.single_title ?? ''}</a
                          >
                        </p>
                      </article>`,
                  )}`
              : html`<p>Who is on this device? 谁在使用这台设备？</p>
                  <ul>
                    ${people.map(
                      (u) =>
                        html`<li>
                          <a href="/client?${new URLSearchParams({ corp: u.corpId, user: u.userid })}"
                            >${u.name}</a
                          >
                          (${u.corpId})
                        </li>`,
                    )}
                  </ul>`
          }
        </body>
      </html>`.value;
  }

  /** The legacy token call (historical docs): `GET /gettoken?appkey&appsecret`, errcode 40096 when wrong. */
  private getToken(req: Request, res: Response): void {
    const q = req.query as Record<string, string>;
    const a = this.apps.get(q.appkey ?? '');
    if (!a || a.appSecret !== q.appsecret)
      return void res.json({ errcode: 40096, errmsg: '不合法的appKey或appSecret' });
    this.tokenEndpoints.set('/gettoken', (this.tokenEndpoints.get('/gettoken') ?? 0) + 1);
    res.json({ errcode: 0, errmsg: 'ok', access_token: this.issueToken(a), expires_in: TOKEN_TTL_SEC });
  }

  /** The current token call: `POST /v1.0/oauth2/accessToken {appKey, appSecret}`; 400 with a code when wrong. */
  private accessToken(req: Request, res: Response): void {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const a = this.apps.get(String(b.appKey ?? ''));
    if (!a || a.appSecret !== b.appSecret)
      return void res.status(400).json({
        code: 'invalidClientIdOrSecret',
        message: '无效的clientId或者clientSecret',
        requestid: randomBytes(6).toString('hex'),
      });
    const path = '/v1.0/oauth2/accessToken';
    this.tokenEndpoints.set(path, (this.tokenEndpoints.get(path) ?? 0) + 1);
    res.json({ accessToken: this.issueToken(a), expireIn: TOKEN_TTL_SEC });
  }

  /**
   * The app's token, as DingTalk gives it (shared/docs/dingtalk.md §1): asked again while it is still
   * valid, the same token, its life extended; once expired, a new one. Both token calls count here.
   */
  private issueToken(a: SimApp): string {
    this.tokenFetches.set(a.appKey, (this.tokenFetches.get(a.appKey) ?? 0) + 1);
    const live = [...this.tokens].find(([, t]) => t.appKey === a.appKey && t.expiresAt > this.now());
    const token = live?.[0] ?? randomBytes(16).toString('hex');
    this.tokens.set(token, { appKey: a.appKey, expiresAt: this.now() + TOKEN_TTL_SEC * 1000 });
    return token;
  }

  /**
   * Posts an event to a subscriber as DingTalk does: the JSON encrypted (AES-256-CBC, key from the
   * EncodingAESKey, IV its first 16 bytes, random(16) + length(4) + message + owner key, PKCS#7 to 32),
   * signed (SHA-1 of token, timestamp, nonce and encrypt, sorted). Answers the HTTP status and, when the
   * subscriber answered with a sealed reply, its decrypted text.
   */
  /**
   * An address-book event as DingTalk pushes it to an internal app today (shared/docs/dingtalk.md §6:
   * `userId` in camelCase, with `CorpId`, `EventTime`, `timeStamp` and an `eventId`), or in the older
   * register_call_back format (`UserId`, `TimeStamp`) that apps registered long ago still get.
   */
  addressBookEvent(
    corpId: string,
    type: string,
    userIds: readonly string[],
    format: 'push' | 'register_call_back' = 'push',
  ): Record<string, unknown> {
    const now = Date.now();
    return format === 'push'
      ? {
          EventType: type,
          EventTime: now,
          CorpId: corpId,
          BizId: randomBytes(8).toString('hex'),
          eventId: randomBytes(16).toString('hex'),
          timeStamp: String(now),
          userId: [...userIds],
        }
      : { EventType: type, TimeStamp: String(now), UserId: [...userIds], CorpId: corpId };
  }

  async sendEvent(
    url: string,
    keys: { token: string; aesKey: string; ownerKey: string; /** The sender's clock (ms). */ clock?: number },
    event: Record<string, unknown>,
    tamper: (q: Record<string, string>, body: { encrypt: string }) => void = () => {},
  ): Promise<{ status: number; reply?: string }> {
    const key = Buffer.from(`${keys.aesKey}=`, 'base64');
    const msg = Buffer.from(JSON.stringify(event));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(msg.length);
    const plain = Buffer.concat([randomBytes(16), len, msg, Buffer.from(keys.ownerKey)]);
    const pad = 32 - (plain.length % 32);
    const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
    const encrypt = Buffer.concat([
      cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])),
      cipher.final(),
    ]).toString('base64');
    const timestamp = String(keys.clock ?? Date.now());
    const nonce = randomBytes(4).toString('hex');
    const sign = (ts: string, n: string, e: string) =>
      createHash('sha1').update([keys.token, ts, n, e].sort().join('')).digest('hex');
    const q = { msg_signature: sign(timestamp, nonce, encrypt), timestamp, nonce };
    const body = { encrypt };
    tamper(q, body);
    const res = await fetch(`${url}?${new URLSearchParams(q)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) return { status: res.status };
    const r = (await res.json()) as {
      msg_signature: string;
      timeStamp: string;
      nonce: string;
      encrypt: string;
    };
    if (sign(r.timeStamp, r.nonce, r.encrypt) !== r.msg_signature)
      return { status: res.status, reply: 'BAD SIGNATURE' };
    // DingTalk's callback library works with 16-character nonces only (shared/docs/dingtalk.md, #18).
    if (r.nonce.length !== 16) return { status: res.status, reply: 'BAD NONCE' };
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
    const out = Buffer.concat([decipher.update(Buffer.from(r.encrypt, 'base64')), decipher.final()]);
    const body2 = out.subarray(0, out.length - out.at(-1)!);
    const n = body2.readUInt32BE(16);
    // DingTalk takes the reply only if it is sealed for the same owner key.
    if (body2.subarray(20 + n).toString() !== keys.ownerKey)
      return { status: res.status, reply: 'WRONG OWNER' };
    return { status: res.status, reply: body2.subarray(20, 20 + n).toString() };
  }

  /**
   * Delivers an event over Stream mode to one of the app's open connections, as DingTalk does:
   * `{type: 'EVENT', headers: {eventType, eventId, eventBornTime, eventCorpId, messageId, …}, data}`
   * with the event's JSON in `data`. Answers the app's acknowledgement (`SUCCESS` or `LATER`).
   */
  async streamEvent(
    corpId: string,
    eventType: string,
    data: Record<string, unknown>,
    eventId = randomBytes(16).toString('hex'),
  ): Promise<string> {
    const app = [...this.apps.values()].find((a) => a.corpId === corpId);
    const socket = [...this.streams].find((x) => x.appKey === app?.appKey);
    if (!app || !socket) throw new Error(`no Stream connection of ${corpId}`);
    const messageId = randomBytes(12).toString('hex');
    const now = String(this.now());
    const acked = new Promise<string>((resolve) => this.streamAcks.set(messageId, resolve));
    socket.ws.send(
      JSON.stringify({
        specVersion: '1.0',
        type: 'EVENT',
        headers: {
          appId: app.agentId,
          connectionId: socket.id,
          contentType: 'application/json',
          messageId,
          time: now,
          topic: '*',
          eventType,
          eventBornTime: now,
          eventId,
          eventCorpId: corpId,
          eventUnifiedAppId: app.appKey,
        },
        data: JSON.stringify(data),
      }),
    );
    return acked;
  }

  /** Open Stream connections, by app key. */
  streamsOf(appKey: string): number {
    return [...this.streams].filter((x) => x.appKey === appKey).length;
  }

  private openStreams(server: Server): void {
    this.wss = new WebSocketServer({ server, path: '/stream' });
    this.wss.on('connection', (ws, req) => {
      const ticket = new URL(req.url ?? '', 'ws://x').searchParams.get('ticket') ?? '';
      const appKey = this.streamTickets.get(ticket);
      this.streamTickets.delete(ticket); // one use
      if (!appKey) return ws.close(4001, 'invalid ticket');
      const entry = { appKey, id: randomBytes(8).toString('hex'), ws };
      this.streams.add(entry);
      ws.on('close', () => this.streams.delete(entry));
      ws.on('message', (raw) => {
        // An acknowledgement: {code: 200, headers: {messageId}, data: '{"status":"SUCCESS"}'}.
        try {
          const m = JSON.parse(String(raw)) as { headers?: { messageId?: string }; data?: string };
          const resolve = this.streamAcks.get(m.headers?.messageId ?? '');
          this.streamAcks.delete(m.headers?.messageId ?? '');
          resolve?.(String((JSON.parse(m.data ?? '{}') as { status?: string }).status));
        } catch {
          // Not an acknowledgement.
        }
      });
    });
  }

  async close(): Promise<void> {
    for (const x of this.streams) x.ws.terminate();
    this.wss?.close();
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}
