import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import type { ToolConfig } from '../../lti-tool/src/config.js';
import type { Corp } from '../../lti-tool/src/dingtalk/corp-repository.js';

import type { RunningTool } from '../../lti-tool/src/server.js';
import { ReferencePlatform } from '../../reference-platform/src/reference-platform.js';
import { adminSignIn } from '../helpers/admin.js';
import { launchChromium } from '../helpers/browser.js';
import { DingTalkSimulator } from '../../dingtalk-simulator/src/dingtalk-simulator.js';
import { createTestDatabase, REDIS_URL, startTestTool, toolConfig } from '../helpers/farm.js';
import { publishLesson, registerManually } from '../helpers/lti.js';
import { makeSpeech } from '../helpers/speech.js';

import type { QueueName } from '../../lti-tool/src/jobs/queues.js';

/**
 * The DingTalk bridge against the DINGTALK API SIMULATOR (token, free-login codes, directory, work
 * notices and their results, rate limits, OAuth2 web sign-in, signed and encrypted event callbacks),
 * with a real lesson (rendered by a render node, published through the REFERENCE PLATFORM SIMULATOR),
 * real PostgreSQL, Redis and, for the pages, headless Chromium playing the DingTalk client's browser.
 */
let db: { url: string; drop(): Promise<void> };
let config: ToolConfig;
let tool: RunningTool;
let platform: ReferencePlatform;
let sim: DingTalkSimulator;
let sql: pg.Client;
let browser: Browser;
let redis: Redis;
let lessonId: string;
let tenantId: string;
let corp: Corp;

const CORP = 'ding-corp-acme';
const OTHER_CORP = 'ding-corp-other';
const CALLBACK = { token: 'callback-token-1', aesKey: randomBytes(32).toString('base64').slice(0, 43) };
const SALES_PEOPLE = 1000;
/** Work-notice calls a second the tool may make, and the simulator allows, in the 1,000-person case. */
const SENDS_PER_SEC = 4;

const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const noticesOf = async (kind: string, status?: string): Promise<number> =>
  Number(
    (
      await sql.query<{ n: string }>(
        `SELECT count(*) AS n FROM dingtalk_notices WHERE kind = $1 AND ($2::text IS NULL OR status = $2)`,
        [kind, status ?? null],
      )
    ).rows[0]!.n,
  );

const cardsOf = (userid: string): string[] =>
  sim.received(CORP, userid).map((m) => m.action_card?.title ?? '');

/** Free-login as the DingTalk client does it, without a browser: the page, then the code posted. */
async function freeLogin(
  userid: string,
  o: { corpId?: string; code?: string; lesson?: string; withCookie?: boolean } = {},
): Promise<{ status: number; body: string; session?: string }> {
  const corpId = o.corpId ?? CORP;
  const lesson = o.lesson ?? lessonId;
  const page = await fetch(`${tool.url}/dingtalk/lessons/${lesson}?corpId=${corpId}`);
  const html = await page.text();
  if (page.status !== 200) return { status: page.status, body: html };
  const state = /name="state" value="([^"]+)"/.exec(html)![1]!;
  const cookie = page.headers.getSetCookie()[0]!.split(';')[0]!;
  const res = await fetch(`${tool.url}/dingtalk/lessons/${lesson}/open`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(o.withCookie === false ? {} : { cookie }),
    },
    body: new URLSearchParams({ corpId, state, code: o.code ?? sim.authCodeFor(corpId, userid) }),
    redirect: 'manual',
  });
  const body = await res.text();
  return { status: res.status, body, session: /name="vt-session" content="([^"]+)"/.exec(body)?.[1] };
}

/** The next work-notice send is answered with this errcode. */
const failNextSend = (errcode: number, errmsg: string): void =>
  void sim.failNext.push({ path: '/topapi/message/corpconversation/asyncsend_v2', errcode, errmsg });

/** The lesson assigned by name, as the organisation's admin. */
const assignTo = (...userids: string[]) =>
  tool.dingtalk.assignments.assign(corp, { lessonId, deptIds: [], userids, assignedBy: 'boss' });

const failedWith = async (userid: string): Promise<string | undefined> =>
  (
    await sql.query<{ last_error: string }>(
      `SELECT last_error FROM dingtalk_notices WHERE userid = $1 AND status = 'failed'`,
      [userid],
    )
  ).rows[0]?.last_error;

const heartbeat = (session: string, body: Record<string, unknown>): Promise<Response> =>
  fetch(`${tool.url}/lti/progress`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session, lessonId, event: 'tick', ...body }),
  });

beforeAll(async () => {
  sim = await new DingTalkSimulator().start();
  sim.addApp({ corpId: CORP, appKey: 'ding-app-acme', appSecret: 'acme-secret-0123', agentId: '3001' });
  sim.addApp({
    corpId: OTHER_CORP,
    appKey: 'ding-app-other',
    appSecret: 'other-secret-0123',
    agentId: '3002',
  });
  sim.addDepartment({ corpId: CORP, id: 2, name: 'Warehouse 仓库', parentId: 1 });
  sim.addDepartment({ corpId: CORP, id: 4, name: 'Night shift', parentId: 2 });
  sim.addDepartment({ corpId: CORP, id: 3, name: 'Sales', parentId: 1 });
  sim.addUser({ corpId: CORP, userid: 'alice', unionid: 'union-alice', name: '王丽 Alice', deptIds: [2] });
  sim.addUser({ corpId: CORP, userid: 'bob', unionid: 'union-bob', name: 'Bob', deptIds: [4] });
  sim.addUser({ corpId: CORP, userid: 'carol', unionid: 'union-carol', name: 'Carol', deptIds: [3] });
  // The training admin: listed in the organisation's adminUserids here, no admin in DingTalk's console.
  sim.addUser({ corpId: CORP, userid: 'boss', unionid: 'union-boss', name: '管理员 Admin', deptIds: [1] });
  sim.addUser({ corpId: OTHER_CORP, userid: 'olga', unionid: 'union-olga', name: 'Olga', deptIds: [1] });
  sim.addUser({
    corpId: OTHER_CORP,
    userid: 'oadmin',
    unionid: 'union-oadmin',
    name: 'Other admin',
    deptIds: [1],
  });
  for (let i = 0; i < SALES_PEOPLE; i++)
    sim.addUser({ corpId: CORP, userid: `s${i}`, unionid: `union-s${i}`, name: `Seller ${i}`, deptIds: [3] });

  db = await createTestDatabase();
  config = await toolConfig({
    VT_DATABASE_URL: db.url,
    VT_DINGTALK_OAPI_URL: sim.url,
    VT_DINGTALK_API_URL: sim.url,
    VT_DINGTALK_LOGIN_URL: sim.url,
    VT_DINGTALK_JSAPI_URL: `${sim.url}/jsapi/dingtalk.open.js`,
    VT_DINGTALK_SENDS_PER_SEC: String(SENDS_PER_SEC),
    VT_DINGTALK_CHECK_AFTER_MS: '200',
    VT_GRADE_BACKOFF_MS: '200',
    VT_GRADE_MAX_BACKOFF_MS: '800',
    VT_GRADE_RELAY_SEC: '1',
  });
  tool = await startTestTool(config);
  platform = await new ReferencePlatform().start();
  const reg = await registerManually(tool, platform);
  const speech = await makeSpeech([{ say: 'Lift with your legs, not your back.' }, { silence: 1 }]);
  ({ lessonId } = await publishLesson(tool, platform, reg, {
    queuePrefix: config.VT_QUEUE_PREFIX,
    title: 'Safe lifting 安全搬运',
    audio: speech.path,
  }));
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  tenantId = (
    await sql.query<{ tenant_id: string }>('SELECT tenant_id FROM lessons WHERE id = $1', [lessonId])
  ).rows[0]!.tenant_id;
  await tool.dingtalk.corps.save({
    corpId: CORP,
    tenantId,
    name: 'Acme 物流',
    appKey: 'ding-app-acme',
    appSecret: 'acme-secret-0123',
    agentId: '3001',
    callbackToken: CALLBACK.token,
    callbackAesKey: CALLBACK.aesKey,
    adminUserids: ['boss'],
    eventChannel: 'http',
  });
  // Another organisation, on a tenant of its own with no lessons, on Stream mode.
  await tool.tenants.ensureTenant('tenant-other', 'Other');
  await tool.dingtalk.corps.save({
    corpId: OTHER_CORP,
    tenantId: 'tenant-other',
    name: 'Other Co',
    appKey: 'ding-app-other',
    appSecret: 'other-secret-0123',
    agentId: '3002',
    adminUserids: ['oadmin'],
    eventChannel: 'stream',
  });
  corp = (await tool.dingtalk.corps.get(CORP))!;
  browser = await launchChromium();
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  redis?.disconnect();
  await browser?.close();
  await sql?.end();
  await platform?.close();
  await tool?.close();
  await sim?.close();
  await db?.drop();
});

describe("DingTalk's server API through the bridge", () => {
  it('shares one access token across calls and instances, and refreshes an expired one exactly once', async () => {
    const api = tool.dingtalk.api;
    const fetches = (): number => sim.tokenFetches.get(corp.appKey) ?? 0;
    const before = fetches();
    // Ten callers at once, cold or warm cache: at most one token is fetched.
    await Promise.all(Array.from({ length: 10 }, () => api.user(corp, 'alice')));
    expect(fetches() - before).toBeLessThanOrEqual(1);
    const warm = fetches();
    await api.user(corp, 'bob');
    expect(fetches()).toBe(warm);

    sim.expireTokens(); // as after 7,200 s
    const calls = sim.calls.length;
    expect((await api.user(corp, 'carol')).name).toBe('Carol');
    expect(fetches()).toBe(warm + 1);
    // DingTalk says "expired" as errcode 88 with sub_code 42001: refused once, renewed, answered.
    const answered = sim.calls.slice(calls).map((c) => [c.errcode, c.subCode]);
    expect(answered).toEqual([
      [88, 42001],
      [0, undefined],
    ]);

    // A token DingTalk no longer knows (88 with sub_code 40014) is dropped from the shared cache and
    // fetched again once.
    await tool.dingtalk.api['tokens'].set(corp.appKey, 'forged-token', 7200);
    expect((await api.user(corp, 'alice')).deptIds).toEqual([2]);
    expect(fetches()).toBe(warm + 2);
    // A secret DingTalk refuses is no retry loop: one fetch, a permanent error.
    const wrong = { ...corp, appKey: 'ding-app-acme', appSecret: 'not-the-secret' };
    await tool.dingtalk.api['tokens'].forget(corp.appKey, (await tool.dingtalk.api.accessToken(corp))!);
    await expect(api.user(wrong, 'alice')).rejects.toMatchObject({
      errcode: 'invalidClientIdOrSecret',
      status: 400,
      permanent: true,
    });
    // Every token came from DingTalk's current endpoint, none from the historical GET /gettoken.
    expect(sim.tokenEndpoints.get('/v1.0/oauth2/accessToken')).toBeGreaterThan(0);
    expect(sim.tokenEndpoints.get('/gettoken')).toBeUndefined();
  });

  it('waits out rate limits (errcode 88, sub_code 90018) and answers every call', async () => {
    sim.perSecondLimit = 2;
    try {
      const calls = sim.calls.length;
      // Four callers at once: two are answered, two refused and answered a second later.
      const names = await Promise.all(
        ['alice', 'bob', 'carol', 'boss'].map((u) => tool.dingtalk.api.user(corp, u)),
      );
      expect(names.map((n) => n.userid)).toEqual(['alice', 'bob', 'carol', 'boss']);
      const limited = sim.calls.slice(calls).filter((c) => c.errcode === 88 && c.subCode === 90018).length;
      expect(limited).toBeGreaterThan(0);
    } finally {
      sim.perSecondLimit = Number.POSITIVE_INFINITY;
    }
    // DingTalk's per-IP ban is no errcode but {status: 1111, wait} or an HTML page: a rate limit for
    // five minutes, not a success, and not waited out inside the call.
    for (const form of ['json', 'html'] as const) {
      sim.banNext = form;
      await expect(tool.dingtalk.api.user(corp, 'alice')).rejects.toMatchObject({
        permanent: false,
        retryAfterMs: 5 * 60_000,
      });
    }
    // "System busy" (-1) is an outage to retry later, not a refusal.
    sim.failNext.push({ path: '/topapi/v2/user/get', errcode: -1, errmsg: '系统繁忙' });
    await expect(tool.dingtalk.api.user(corp, 'alice')).rejects.toMatchObject({ permanent: false });
  });
});

describe('free-login (免登) inside DingTalk', () => {
  it('refuses an unknown organisation, a replayed or forged code, a missing state cookie and an unassigned person', async () => {
    // Nothing assigned yet: Alice is who she says, but the lesson is not hers.
    const notAssigned = await freeLogin('alice');
    expect(notAssigned.status).toBe(403);
    expect(notAssigned.body).toContain('NOT_ASSIGNED');

    const unknown = await freeLogin('alice', { corpId: 'ding-corp-nobody' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('UNKNOWN_CORP');
    const forged = await freeLogin('alice', { code: 'made-up-code' });
    expect(forged.status).toBe(401);
    expect(forged.body).toContain('SIGN_IN_FAILED');
    const noCookie = await freeLogin('alice', { withCookie: false });
    expect(noCookie.status).toBe(403);
    expect(noCookie.body).toContain('STATE_MISSING');
    // Another organisation's people see none of this tenant's lessons.
    const otherTenant = await freeLogin('olga', { corpId: OTHER_CORP });
    expect(otherTenant.status).toBe(404);
    expect(otherTenant.body).toContain('LESSON_NOT_FOUND');
    // A code from one organisation's device is no good in another's.
    const crossCorp = await freeLogin('alice', { code: sim.authCodeFor(OTHER_CORP, 'olga') });
    expect(crossCorp.status).toBe(401);
    // DingTalk busy ("系统繁忙", -1): a page that says to try again, not a server error.
    sim.failNext.push({ path: '/topapi/v2/user/getuserinfo', errcode: -1, errmsg: '系统繁忙' });
    const busy = await freeLogin('alice');
    expect(busy.status).toBe(503);
    expect(busy.body).toContain('DINGTALK_UNAVAILABLE');
    expect(busy.body).toContain('Try again in a minute');
  });

  it('in Chromium: the DingTalk client signs the learner in without a password, the player plays, completion goes back once', async () => {
    const { assignees } = await tool.dingtalk.assignments.assign(corp, {
      lessonId,
      deptIds: [2], // Warehouse and its Night shift
      userids: [],
      assignedBy: 'boss',
    });
    expect(assignees).toBe(2);
    await until(
      'assignment notices delivered',
      async () => (await noticesOf('assignment', 'delivered')) === 2,
    );
    const card = sim.received(CORP, 'alice')[0]!.action_card!;
    expect(card.title).toContain('Safe lifting');
    expect(card.markdown).toMatch(/!\[Safe lifting 安全搬运\]\(http:\/\/127\.0\.0\.1:\d+\/media\/posters\//);
    expect(card.single_url).toMatch(/^dingtalk:\/\/dingtalkclient\/page\/link\?url=/);
    const lessonUrl = new URL(card.single_url!).searchParams.get('url')!;
    expect(lessonUrl).toBe(`${tool.url}/dingtalk/lessons/${lessonId}?corpId=${CORP}`);
    // The poster link in the card is signed for that one image.
    const poster = /\((http[^)]+poster\.jpg)\)/.exec(card.markdown!)![1]!;
    expect((await fetch(poster)).headers.get('content-type')).toBe('image/jpeg');
    expect((await fetch(poster.replace(/\/([^/]+)\/poster\.jpg$/, '/AAAA/poster.jpg'))).status).toBe(403);

    // Outside the DingTalk client the page says where to open it.
    sim.deviceUser = undefined;
    const outside = await browser.newPage();
    await outside.goto(lessonUrl);
    await outside.getByText('Open this page inside the DingTalk app').waitFor();
    await outside.close();

    // Alice, in the DingTalk client (the simulator's stand-in), reads her notice and presses its button.
    const page = await browser.newPage();
    await page.goto(`${sim.url}/client?corp=${CORP}&user=alice`);
    const notice = page.getByRole('article').filter({ hasText: 'Safe lifting' });
    expect(
      await notice
        .getByRole('img', { name: 'Safe lifting 安全搬运' })
        .evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth),
    ).toBeGreaterThan(0);
    await notice.getByRole('link', { name: '开始学习 Start lesson' }).click();
    await page.getByRole('heading', { name: 'Safe lifting 安全搬运' }).waitFor();
    // The page asked the current JSAPI (dd.requestAuthCode with the app's clientId), not the historical one.
    expect(sim.historicalJsapiSignIns).toBe(0);
    await page.waitForSelector('body[data-player="ready"]');
    await page.locator('#player').evaluate((v) => (v as unknown as { play(): Promise<void> }).play());
    await page.waitForSelector('body[data-completed="true"]', { timeout: 30_000 });
    expect(await page.locator('#watch-status').textContent()).toMatch(/Watched 100 % · Completed/);
    await page.close();

    // On the PC client the same button opens the lesson in DingTalk's sidebar, signed in (a link the
    // PC client sent to the system browser would land outside DingTalk, with no sign-in).
    const pc = await browser.newPage();
    await pc.goto(`${sim.url}/client?corp=${CORP}&user=alice&device=pc`);
    await pc
      .getByRole('article')
      .filter({ hasText: 'Safe lifting' })
      .getByRole('link', { name: '开始学习 Start lesson' })
      .click();
    await pc.getByRole('heading', { name: 'Safe lifting 安全搬运' }).waitFor();
    expect(sim.openedOutside).toBe(false);
    await pc.close();

    // Alice is a learner of the tenant, under her DingTalk name.
    const { rows } = await sql.query('SELECT name, dept_ids FROM dingtalk_users WHERE userid = $1', [
      'alice',
    ]);
    expect(rows[0]).toEqual({ name: '王丽 Alice', dept_ids: ['2'] });
    // Completion goes back as one notice, however often the signal and the sweep look.
    await until('completion notice', () => cardsOf('alice').some((t) => t.includes('Completed')));
    await tool.dingtalk.reports.report();
    await tool.dingtalk.reports.report([{ lessonId, userId: `dt:${CORP}:alice` }]);
    await new Promise((r) => setTimeout(r, 2500)); // two relay sweeps
    expect(cardsOf('alice').filter((t) => t.includes('Completed'))).toHaveLength(1);
    expect(await noticesOf('completion')).toBe(1);
    // An LTI learner's completion is no DingTalk notice, and an LTI score is not sent for Alice.
    expect(platform.scores.filter((s) => String(s.body.userId).includes('alice'))).toHaveLength(0);
  });

  it("the assigning admin's daily summary lists the day's completions, once", async () => {
    await sql.query(`UPDATE watch_progress SET completed_at = now() - interval '1 day' WHERE user_id = $1`, [
      `dt:${CORP}:alice`,
    ]);
    const day = tool.dingtalk.reports.yesterday();
    // The bridge's sweep finds yesterday's completions by itself; asking again adds nothing.
    await until('summary delivered', () => cardsOf('boss').some((t) => t.includes('Daily completions')));
    expect(await tool.dingtalk.reports.summarize(day)).toBe(0);
    expect(await noticesOf('summary')).toBe(1);
    const summary = sim.received(CORP, 'boss').find((m) => m.action_card!.title!.includes('Daily'))!;
    expect(summary.action_card!.title).toBe(`学习日报 Daily completions ${day}`);
    expect(summary.action_card!.markdown).toContain('王丽 Alice: Safe lifting 安全搬运');
    expect(summary.action_card!.single_url).toBe(`${tool.url}/admin/progress?corp=${CORP}`);
  });

  it('a completion on a lesson with questions tells the learner their score', async () => {
    // In no department: the other cases count the departments' people.
    sim.addUser({ corpId: CORP, userid: 'mo', unionid: 'union-mo', name: 'Mo', deptIds: [] });
    await sql.query(
      `INSERT INTO dingtalk_users (corp_id, userid, user_key, name) VALUES ($1, 'mo', $2, 'Mo') ON CONFLICT DO NOTHING`,
      [CORP, `dt:${CORP}:mo`],
    );
    // Watched it all and 2 of 3 question points: 0.3 × 100 % + 0.7 × 2/3 = 77 %.
    await sql.query(
      `INSERT INTO watch_progress (lesson_id, user_id, tenant_id, context_id, platform_id, user_name, intervals,
         duration_sec, coverage, completed_at, question_earned, question_total)
       SELECT id, $1, tenant_id, context_id, $3, 'Mo', '[]', 60, 1, now(), 2, 3 FROM lessons WHERE id = $2`,
      [`dt:${CORP}:mo`, lessonId, `dingtalk:${CORP}`],
    );
    await tool.dingtalk.reports.report([{ lessonId, userId: `dt:${CORP}:mo` }]);
    await until('completion notice', () => sim.received(CORP, 'mo').length > 0);
    const card = sim.received(CORP, 'mo')[0]!.action_card!;
    expect(card.title).toContain('Completed');
    expect(card.markdown).toContain('得分 77 分（答题 2/3）· Score 77 % (questions 2/3)');
  });

  it("signs in someone outside the app's directory scope with the name free-login gave", async () => {
    // The app may read the Warehouse only (user/get answers 50002 for others); Jo is in the office
    // (a department of no other test).
    const app = sim.apps.get(corp.appKey)!;
    sim.addApp({ ...app, scopeDeptIds: [2] });
    try {
      sim.addUser({ corpId: CORP, userid: 'jo', unionid: 'union-jo', name: 'Jo', deptIds: [5] });
      await assignTo('jo');
      const open = await freeLogin('jo');
      expect(open.status).toBe(200);
      const { rows } = await sql.query('SELECT name FROM dingtalk_users WHERE userid = $1', ['jo']);
      expect(rows[0]).toEqual({ name: 'Jo' });
      // Settled before the next test counts delivered notices.
      const settled = async (): Promise<boolean> =>
        (await sql.query(`SELECT 1 FROM dingtalk_notices WHERE userid = 'jo' AND status = 'delivered'`))
          .rowCount === 1;
      await until('jo notified', settled);
    } finally {
      sim.addApp(app);
    }
  });
});

describe('work notices', () => {
  it('a lesson assigned to 1,000 people goes out as sends of at most 100, within the rate, each person once', async () => {
    const calls = sim.calls.length;
    const before = sim.sends.length;
    const delivered = await noticesOf('assignment', 'delivered');
    sim.perSecondLimit = SENDS_PER_SEC; // DingTalk's per-app, per-API limit, in any second
    const { assignees } = await tool.dingtalk.assignments.assign(corp, {
      lessonId,
      deptIds: [3],
      userids: ['carol'], // also in Sales: reached once
      assignedBy: 'boss',
    });
    expect(assignees).toBe(SALES_PEOPLE + 1);
    await until(
      '1,001 notices settled',
      async () => (await noticesOf('assignment', 'delivered')) === delivered + SALES_PEOPLE + 1,
      60_000,
    );
    sim.perSecondLimit = Number.POSITIVE_INFINITY;
    const sends = sim.sends.slice(before);
    expect(sends.every((s) => s.userids.length <= 100)).toBe(true);
    expect(sends).toHaveLength(11); // 1,001 people in sends of 100
    const people = sends.flatMap((s) => s.userids);
    expect(new Set(people).size).toBe(people.length);
    expect(people).toHaveLength(SALES_PEOPLE + 1);
    // No more sends in any second than the limiter allows, so DingTalk never had to refuse one.
    for (const s of sends)
      expect(sends.filter((x) => x.at >= s.at && x.at < s.at + 1000).length).toBeLessThanOrEqual(
        SENDS_PER_SEC,
      );
    const limited = sim.calls.slice(calls).filter((c) => c.path.includes('asyncsend') && c.errcode !== 0);
    expect(limited).toEqual([]);
    expect(sim.received(CORP, 's999')).toHaveLength(1);

    // Assigning again reaches nobody new and sends nothing.
    expect(
      (
        await tool.dingtalk.assignments.assign(corp, {
          lessonId,
          deptIds: [3],
          userids: [],
          assignedBy: 'boss',
        })
      ).assignees,
    ).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(sim.sends.length).toBe(before + sends.length);
  });

  it('sends DingTalk rate-limits are tried again, and nobody gets a notice twice', async () => {
    sim.addUser({ corpId: CORP, userid: 'dave', unionid: 'union-dave', name: 'Dave', deptIds: [3] });
    sim.addUser({ corpId: CORP, userid: 'erin', unionid: 'union-erin', name: 'Erin', deptIds: [3] });
    // Four refusals in a row: three are waited out in the call, the fourth sends the job back to the queue.
    for (let i = 0; i < 4; i++) failNextSend(90018, '限流');
    const before = sim.sends.length;
    await assignTo('dave', 'erin', 'ghost');
    await until(
      'dave and erin notified',
      () => sim.received(CORP, 'dave').length === 1 && sim.received(CORP, 'erin').length === 1,
    );
    expect(sim.failNext).toHaveLength(0);
    expect(sim.sends.slice(before)).toHaveLength(1);
    // A user id DingTalk does not know is settled as failed from the send's result, with its reason.
    await until('ghost settled', async () => (await failedWith('ghost')) !== undefined);
    expect(await failedWith('ghost')).toBe('not a member of the organisation');
  });

  it('notices outlive a DingTalk outage and a lost queue: the relay sends them from PostgreSQL, once', async () => {
    sim.addUser({ corpId: CORP, userid: 'gina', unionid: 'union-gina', name: 'Gina', deptIds: [3] });
    sim.outage = true;
    try {
      const failures = sim.calls.length;
      await assignTo('gina');
      await until('a send tried during the outage', () =>
        sim.calls.slice(failures).some((c) => c.path.includes('asyncsend') && c.errcode === 502),
      );
      // Redis loses the queue (flushed, failed over): every notice job is gone.
      const queue = new Queue('dingtalk-notices' satisfies QueueName, {
        connection: redis,
        prefix: config.VT_QUEUE_PREFIX,
      });
      await queue.obliterate({ force: true });
      await queue.close();
      expect(await noticesOf('assignment', 'pending')).toBe(1);
    } finally {
      sim.outage = false;
    }
    await until('gina notified', () => sim.received(CORP, 'gina').length === 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(sim.received(CORP, 'gina')).toHaveLength(1);
    expect(await noticesOf('assignment', 'pending')).toBe(0);
  });

  it('a send whose answer was lost is tried again; DingTalk calls the retry a duplicate, and the person counts as notified', async () => {
    sim.addUser({ corpId: CORP, userid: 'ivy', unionid: 'union-ivy', name: 'Ivy', deptIds: [3] });
    sim.loseAnswerNext.add('/topapi/message/corpconversation/asyncsend_v2');
    await assignTo('ivy');
    const statusOf = async (): Promise<string | undefined> =>
      (await sql.query<{ status: string }>(`SELECT status FROM dingtalk_notices WHERE userid = 'ivy'`))
        .rows[0]?.status;
    await until('ivy settled', async () => ['delivered', 'failed'].includes((await statusOf()) ?? ''));
    // Two sends reached DingTalk; the first delivered, the second was refused as the same content (143106).
    expect(sim.sends.filter((s) => s.userids.includes('ivy'))).toHaveLength(2);
    expect(sim.received(CORP, 'ivy')).toHaveLength(1);
    expect(await statusOf()).toBe('delivered');
  });

  it('a department DingTalk does not have (60003) is refused with a sentence, and an unknown user id with 33012', async () => {
    await expect(
      tool.dingtalk.assignments.assign(corp, { lessonId, deptIds: [99], userids: [], assignedBy: 'boss' }),
    ).rejects.toThrow('There is no department 99 in this organisation.');
    await expect(tool.dingtalk.api.user(corp, 'nobody')).rejects.toMatchObject({
      errcode: 33012,
      permanent: true,
    });
  });

  it('a send DingTalk refuses for good is kept failed with its reason, not retried', async () => {
    sim.addUser({ corpId: CORP, userid: 'fay', unionid: 'union-fay', name: 'Fay', deptIds: [3] });
    failNextSend(40056, '不合法的agentid');
    const before = sim.calls.length;
    await assignTo('fay');
    await until('fay failed', async () => (await failedWith('fay')) !== undefined);
    expect(await failedWith('fay')).toBe('DingTalk 40056: 不合法的agentid');
    await new Promise((r) => setTimeout(r, 1500));
    expect(sim.calls.slice(before).filter((c) => c.path.includes('asyncsend'))).toHaveLength(1);
    expect(sim.received(CORP, 'fay')).toHaveLength(0);
  });
});

describe('the monthly API quota (5,000 calls for a standard-edition organisation)', () => {
  const usage = () => tool.dingtalk.usage.of(CORP);
  const statusOf = async (userid: string, kind = 'assignment') =>
    (
      await sql.query<{ status: string; last_error: string | null }>(
        'SELECT status, last_error FROM dingtalk_notices WHERE userid = $1 AND kind = $2',
        [userid, kind],
      )
    ).rows[0];
  const corpPageText = async (): Promise<string> => {
    const cookie = await adminSignIn(tool.url, 'quota-ops', 'correct horse battery staple');
    const res = await fetch(`${tool.url}/admin/dingtalk/corps/${CORP}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    return (await res.text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
  };

  it('counts what DingTalk counts, saves calls when few are left, and waits for next month when they are used up', async () => {
    await tool.adminUsers.set('quota-ops', 'correct horse battery staple');
    for (const u of ['kim', 'lee'])
      sim.addUser({ corpId: CORP, userid: u, unionid: `union-${u}`, name: u, deptIds: [3] });
    // Counting: a send and the look at its result count, as DingTalk counts them; the directory does not.
    const [ours, theirs] = [(await usage()).calls, sim.countedCalls(CORP)];
    await assignTo('kim');
    await until('kim notified', async () => (await statusOf('kim'))?.status === 'delivered');
    expect(sim.countedCalls(CORP) - theirs).toBe(2);
    await until('counted', async () => (await usage()).calls - ours === 2);
    const page = await corpPageText();
    expect(page).toMatch(/DingTalk API calls this month \d{4}-\d{2}: [\d,]+ of 5,000 calls/);
    // The page says why notices go person by person rather than to whole departments.
    expect(page).toContain('Notices go person by person, 100 to a send');

    // Few calls left: Kim's completion is not sent to Kim; the admin's daily summary will list it.
    const counted = (await usage()).calls;
    await sql.query('UPDATE dingtalk_api_usage SET calls = 4990 WHERE corp_id = $1', [CORP]);
    expect(await usage()).toMatchObject({ calls: 4990, quota: 5000, tight: true });
    await sql.query(
      `INSERT INTO dingtalk_users (corp_id, userid, user_key, name) VALUES ($1, 'kim', $2, 'Kim')
       ON CONFLICT DO NOTHING`,
      [CORP, `dt:${CORP}:kim`],
    );
    await sql.query(
      `INSERT INTO watch_progress (lesson_id, user_id, tenant_id, context_id, platform_id, user_name, intervals,
         duration_sec, coverage, completed_at)
       SELECT id, $1, tenant_id, context_id, $3, 'Kim', '[]', 60, 1, now() FROM lessons WHERE id = $2`,
      [`dt:${CORP}:kim`, lessonId, `dingtalk:${CORP}`],
    );
    await tool.dingtalk.reports.report([{ lessonId, userId: `dt:${CORP}:kim` }]);
    expect(await statusOf('kim', 'completion')).toEqual({
      status: 'summarized',
      last_error: expect.stringMatching(/daily summary/),
    });
    expect(await corpPageText()).toContain('Only about 10 calls are left this month');

    // Used up: DingTalk answers 90020. The notice waits, unsent and not failed, until the month renews
    // in China, and nothing more is tried for this organisation before then.
    sim.monthlyQuota = sim.countedCalls(CORP);
    try {
      await assignTo('lee');
      await until('DingTalk said so', async () => (await usage()).exhaustedUntil !== undefined);
      const china = new Date(Date.now() + 8 * 3600_000);
      const renews = Date.UTC(china.getUTCFullYear(), china.getUTCMonth() + 1, 1) - 8 * 3600_000;
      expect((await usage()).exhaustedUntil!.getTime()).toBe(renews);
      expect(await statusOf('lee')).toEqual({
        status: 'pending',
        last_error: expect.stringMatching(/90020/),
      });
      const refused = sim.calls.filter((c) => c.errcode === 90020).length;
      await tool.dingtalk.delivery.enqueue([]); // nothing new: what is queued waits
      expect(await corpPageText()).toContain('DingTalk refuses further calls this month');
      expect(sim.calls.filter((c) => c.errcode === 90020).length).toBe(refused);
      expect(sim.received(CORP, 'lee')).toHaveLength(0);
    } finally {
      // Next month, as far as these tests go: the quota renewed, the waiting send goes.
      sim.monthlyQuota = Number.POSITIVE_INFINITY;
      await sql.query('UPDATE dingtalk_api_usage SET exhausted_until = NULL, calls = $2 WHERE corp_id = $1', [
        CORP,
        counted,
      ]);
      const queue = new Queue('dingtalk-notices' satisfies QueueName, {
        connection: redis,
        prefix: config.VT_QUEUE_PREFIX,
      });
      for (const job of await queue.getDelayed()) await job.promote();
      await queue.close();
    }
    await until('lee notified', async () => (await statusOf('lee'))?.status === 'delivered');
    expect(sim.received(CORP, 'lee')).toHaveLength(1);
  });
});

describe('work-notice results (one call a look, for 24 hours)', () => {
  const RESULT = '/topapi/message/corpconversation/getsendresult';
  const PROGRESS = '/topapi/message/corpconversation/getsendprogress';
  const statusOf = async (userid: string): Promise<string | undefined> =>
    (await sql.query<{ status: string }>('SELECT status FROM dingtalk_notices WHERE userid = $1', [userid]))
      .rows[0]?.status;
  const taskOf = (userid: string): number => sim.sends.find((x) => x.userids.includes(userid))!.taskId;
  const looksAt = (task: number, path = RESULT): number =>
    sim.calls.filter((c) => c.taskId === task && c.path === path).length;
  afterEach(() => void (sim.sendingMs = 0));

  it('a send DingTalk is still working on (status 0, then 1) settles from its result once everyone is handled', async () => {
    for (const u of ['gil', 'hal'])
      sim.addUser({ corpId: CORP, userid: u, unionid: `union-${u}`, name: u, deptIds: [3] });
    sim.sendingMs = 3600_000; // an hour on the simulator's clock
    await assignTo('gil', 'hal');
    await until('a send', () => sim.sends.some((x) => x.userids.includes('gil')));
    const task = taskOf('gil');
    await until('two looks at the result', () => looksAt(task) >= 2);
    expect([await statusOf('gil'), await statusOf('hal')]).toEqual(['sent', 'sent']);
    sim.elapse(30 * 60_000); // sending: DingTalk has handled the first half
    const seen = looksAt(task);
    await until('another look', () => looksAt(task) > seen);
    expect([await statusOf('gil'), await statusOf('hal')]).toEqual(['sent', 'sent']);
    sim.elapse(31 * 60_000); // done
    await until('settled', async () => (await statusOf('hal')) === 'delivered');
    expect(await statusOf('gil')).toBe('delivered');
    // The result alone settles a send: its progress is never asked for (each call counts).
    expect(looksAt(task, PROGRESS)).toBe(0);
  });

  it('a send whose result was not read within DingTalk’s 24 hours is settled as unknown, and not asked about again', async () => {
    for (const u of ['ike', 'jo'])
      sim.addUser({ corpId: CORP, userid: u, unionid: `union-${u}`, name: u, deptIds: [3] });
    sim.sendingMs = 48 * 3600_000;
    await assignTo('ike');
    await until(
      'a look at its result',
      () => sim.sends.some((x) => x.userids.includes('ike')) && looksAt(taskOf('ike')) >= 1,
    );
    // The tool was away for a day: its send is 25 hours old, for DingTalk as for PostgreSQL.
    await sql.query(`UPDATE dingtalk_notices SET sent_at = now() - interval '25 hours' WHERE userid = 'ike'`);
    sim.elapse(25 * 3600_000);
    await until('unknown', async () => (await statusOf('ike')) === 'unknown');
    const looks = looksAt(taskOf('ike'));
    // Later work goes on (a new send, checked and settled by the same relay and queue) without a look
    // at the old send.
    sim.sendingMs = 0;
    await assignTo('jo');
    await until('jo settled', async () => (await statusOf('jo')) === 'delivered');
    await until('a relay sweep after it', async () => {
      const { rows } = await sql.query<{ n: string }>(
        `SELECT count(*) AS n FROM dingtalk_notices WHERE status = 'sent'`,
      );
      return rows[0]!.n === '0';
    });
    expect(looksAt(taskOf('ike'))).toBe(looks);
    // The admin's view counts the person as notified (DingTalk took the send).
    expect(
      (await sql.query(`SELECT last_error FROM dingtalk_notices WHERE userid = 'ike'`)).rows[0].last_error,
    ).toMatch(/24 hours/);
  });
});

describe('event callbacks', () => {
  const url = (): string => `${tool.url}/dingtalk/events/${CORP}`;
  const keys = { ...CALLBACK, ownerKey: 'ding-app-acme' };

  it('answers a genuine check_url with an encrypted "success", for an event subscription and an older callback', async () => {
    expect(await sim.sendEvent(url(), keys, { EventType: 'check_url' })).toEqual({
      status: 200,
      reply: 'success',
    });
    // Registered through register_call_back, DingTalk seals for the corp id instead of the app key.
    expect(await sim.sendEvent(url(), { ...keys, ownerKey: CORP }, { EventType: 'check_url' })).toEqual({
      status: 200,
      reply: 'success',
    });
  });

  it('refuses forged, tampered, replayed and misaddressed callbacks', async () => {
    const forged = [
      // A signature made without the token.
      await sim.sendEvent(
        url(),
        { ...keys, token: 'guessed-token' },
        sim.addressBookEvent(CORP, 'user_leave_org', ['alice']),
      ),
      // Encrypted with another key (the signature is right for what was sent).
      await sim.sendEvent(
        url(),
        { ...keys, aesKey: randomBytes(32).toString('base64').slice(0, 43) },
        { EventType: 'check_url' },
      ),
      // For another app (the owner key inside the payload).
      await sim.sendEvent(url(), { ...keys, ownerKey: 'ding-app-other' }, { EventType: 'check_url' }),
      // The payload changed after signing.
      await sim.sendEvent(url(), keys, { EventType: 'check_url' }, (_q, body) => {
        body.encrypt = body.encrypt.slice(0, -8) + 'AAAAAAA=';
      }),
      // No signature at all.
      await sim.sendEvent(url(), keys, { EventType: 'check_url' }, (q) => {
        delete (q as Partial<typeof q>).msg_signature;
      }),
    ];
    expect(forged.map((f) => f.status)).toEqual([403, 403, 403, 403, 403]);
    // An organisation without an event subscription takes none.
    expect(
      (await sim.sendEvent(`${tool.url}/dingtalk/events/${OTHER_CORP}`, keys, { EventType: 'check_url' }))
        .status,
    ).toBe(404);
    // Nothing happened: Alice is still there.
    expect(
      (await sql.query(`SELECT left_at FROM dingtalk_users WHERE userid = 'alice'`)).rows[0].left_at,
    ).toBeNull();
  });

  it('takes a push DingTalk delivers late or stamps in seconds: the signature and its id are the guard', async () => {
    // DingTalk redelivers failed pushes later, and its examples show 13- and 10-digit timestamps.
    const late = await sim.sendEvent(
      url(),
      { ...keys, clock: Date.now() - 3600_000 },
      { EventType: 'check_url' },
    );
    const seconds = await sim.sendEvent(
      url(),
      { ...keys, clock: Math.floor(Date.now() / 1000) },
      { EventType: 'check_url' },
    );
    // The reply is sealed with a 16-character nonce, as DingTalk's library requires.
    expect([late, seconds]).toEqual([
      { status: 200, reply: 'success' },
      { status: 200, reply: 'success' },
    ]);
  });

  it('someone who left the organisation loses their sessions; a newcomer to an assigned department is reached', async () => {
    const open = await freeLogin('bob');
    expect(open.status).toBe(200);
    expect((await heartbeat(open.session!, { seq: 1, position: 0, intervals: [] })).status).toBe(200);
    expect(await sim.sendEvent(url(), keys, sim.addressBookEvent(CORP, 'user_leave_org', ['bob']))).toEqual({
      status: 200,
      reply: 'success',
    });
    // Their sessions are gone (a tool instance's heartbeat cache forgets them within a minute).
    const sessions = await sql.query(`SELECT 1 FROM lti_sessions WHERE user_id = $1`, [`dt:${CORP}:bob`]);
    expect(sessions.rowCount).toBe(0);
    expect(
      (await sql.query(`SELECT left_at FROM dingtalk_users WHERE userid = 'bob'`)).rows[0].left_at,
    ).not.toBeNull();

    // Hana joins the Night shift: the Warehouse assignment reaches her with its notice.
    sim.addUser({ corpId: CORP, userid: 'hana', unionid: 'union-hana', name: 'Hana', deptIds: [4] });
    await sim.sendEvent(url(), keys, sim.addressBookEvent(CORP, 'user_add_org', ['hana']));
    await until('hana notified', () => sim.received(CORP, 'hana').length === 1);
    expect((await freeLogin('hana')).status).toBe(200);

    // An HR import: twenty address-book events at once make at most two re-resolutions, not twenty.
    const listCalls = (): number => sim.calls.filter((c) => c.path === '/topapi/user/listid').length;
    const before = listCalls();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sim.sendEvent(url(), keys, sim.addressBookEvent(CORP, 'user_modify_org', [`s${i}`])),
      ),
    );
    for (let last = -1; listCalls() !== last; await new Promise((r) => setTimeout(r, 500)))
      last = listCalls();
    const perRun = 3; // the Warehouse assignment (Warehouse, Night shift) and the Sales one
    expect(listCalls() - before).toBeGreaterThanOrEqual(perRun);
    expect(listCalls() - before).toBeLessThanOrEqual(2 * perRun);
  });
});

describe('Stream mode (DingTalk’s recommended channel, through its official SDK)', () => {
  it('events come over the connection the tool opened, are handled once and acknowledged', async () => {
    await until('a Stream connection', () => sim.streamsOf('ding-app-other') === 1);
    await tool.dingtalk.people.signedIn({ corpId: OTHER_CORP, userid: 'olga', name: 'Olga', deptIds: [1] });
    const leftAt = async () =>
      (
        await sql.query('SELECT left_at FROM dingtalk_users WHERE corp_id = $1 AND userid = $2', [
          OTHER_CORP,
          'olga',
        ])
      ).rows[0].left_at;
    // Stream mode carries the event's fields in its data, `userId` as HTTP push names it.
    const leave = { EventType: 'user_leave_org', CorpId: OTHER_CORP, userId: ['olga'] };
    expect(await sim.streamEvent(OTHER_CORP, 'user_leave_org', leave, 'ev-olga-1')).toBe('SUCCESS');
    expect(await leftAt()).not.toBeNull();
    // DingTalk delivers it again (no acknowledgement reached it): acknowledged, not handled twice.
    await sql.query('UPDATE dingtalk_users SET left_at = NULL WHERE corp_id = $1', [OTHER_CORP]);
    expect(await sim.streamEvent(OTHER_CORP, 'user_leave_org', leave, 'ev-olga-1')).toBe('SUCCESS');
    expect(await leftAt()).toBeNull();
    // An organisation on HTTP push has no Stream connection.
    expect(sim.streamsOf('ding-app-acme')).toBe(0);
  });
});

describe('events the tool missed', () => {
  const leftAt = async (userid: string) =>
    (await sql.query('SELECT left_at FROM dingtalk_users WHERE userid = $1', [userid])).rows[0]?.left_at;

  it('a leaver whose event never came is found by the directory comparison; a listing that fails marks nobody', async () => {
    sim.addUser({ corpId: CORP, userid: 'mia', unionid: 'union-mia', name: 'Mia', deptIds: [3] });
    await assignTo('mia');
    const open = await freeLogin('mia');
    expect(open.status).toBe(200);
    // Mia leaves while the tool is down: DingTalk's push is lost.
    sim.users.delete(`${CORP}:mia`);
    // A listing that fails part way (DingTalk busy) proves nothing: nobody is marked gone.
    sim.failNext.push({ path: '/topapi/user/listid', errcode: -1, errmsg: '系统繁忙' });
    await expect(tool.dingtalk.directory.reconcile(corp)).rejects.toThrow(/DingTalk -1/);
    expect(await leftAt('mia')).toBeNull();
    // The next comparison finds her gone, and handles it as her leave event would have.
    expect((await tool.dingtalk.directory.reconcile(corp)).left).toContain('mia');
    expect(await leftAt('mia')).not.toBeNull();
    const sessions = await sql.query(`SELECT 1 FROM lti_sessions WHERE user_id = $1`, [`dt:${CORP}:mia`]);
    expect(sessions.rowCount).toBe(0);
    expect((await freeLogin('mia')).status).toBeGreaterThanOrEqual(400);
  });

  it('each organisation is compared once a day, by one instance, from the sweep', async () => {
    await sql.query(
      `UPDATE dingtalk_corps SET reconciled_at = now() - interval '25 hours' WHERE corp_id = $1`,
      [CORP],
    );
    await until('compared', async () => {
      const { rows } = await sql.query(
        `SELECT reconciled_at > now() - interval '1 hour' AS fresh FROM dingtalk_corps WHERE corp_id = $1`,
        [CORP],
      );
      return rows[0].fresh === true;
    });
    // Claimed: another instance asking now gets nothing to do.
    expect(await tool.dingtalk.corps.claimReconciliation(24)).toEqual([]);
  });
});

describe('admin pages with DingTalk sign-in (OAuth2) in Chromium', () => {
  it("an organisation's admin signs in with DingTalk, assigns a lesson and sees its progress; nothing of other organisations", async () => {
    sim.deviceUser = { corpId: CORP, userid: 'boss' };
    const page = await browser.newPage();
    await page.goto(`${tool.url}/admin/login`);
    await page.getByLabel('DingTalk organisation (CorpId)').fill(CORP);
    await page.getByRole('button', { name: 'Sign in with DingTalk' }).click();
    await page.getByRole('heading', { name: 'DingTalk: Acme 物流' }).waitFor();
    // Only the pages for an organisation's admin are offered.
    expect(await page.getByRole('navigation').textContent()).not.toContain('Render nodes');

    // The departments come from DingTalk; assigning notifies the people reached.
    await page.getByLabel('Lesson').selectOption({ label: 'Safe lifting 安全搬运' });
    await page.getByLabel('Sales').check();
    await page.getByLabel('People (DingTalk user ids, comma separated)').fill('boss');
    await page.getByRole('button', { name: 'Assign and notify' }).click();
    await page.getByRole('status').filter({ hasText: 'Assigned' }).waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'Assigned' }).textContent()).toContain(
      '1 more person reached',
    );
    await until('boss notified of the lesson', () => cardsOf('boss').some((t) => t.includes('New lesson')));
    const row = page.getByRole('row').filter({ hasText: 'Department Sales' });
    expect(await row.getByRole('cell').nth(2).textContent()).toBe(String(SALES_PEOPLE + 1)); // + carol

    // The completion dashboard shows this organisation's tenant, with DingTalk learners by name.
    await page.getByRole('link', { name: 'Completion dashboard' }).click();
    await page.getByRole('table', { name: 'Learners' }).waitFor();
    expect(await page.getByRole('row').filter({ hasText: '王丽 Alice' }).textContent()).toContain('100');
    expect(await page.locator('#tenant option').count()).toBe(1);

    // Pages of the tool's own admins, and other organisations, are closed to them.
    for (const path of ['/admin', '/admin/platforms', '/admin/queues/'])
      expect((await page.request.get(`${tool.url}${path}`)).status()).toBe(403);
    expect((await page.request.get(`${tool.url}/admin/dingtalk/corps/${OTHER_CORP}`)).status()).toBe(404);
    const otherTenant = await page.request.get(`${tool.url}/admin/progress?tenant=tenant-other`);
    expect(await otherTenant.text()).not.toContain('Other');
    await page.close();
  });

  it('a DingTalk user who is no admin of the organisation is refused', async () => {
    sim.deviceUser = { corpId: CORP, userid: 'carol' };
    const page = await browser.newPage();
    await page.goto(`${tool.url}/admin/dingtalk/login?corp=${CORP}`);
    await page.getByRole('heading', { name: 'Sign-in refused' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('not-an-admin');
    const closed = await page.request.get(`${tool.url}/admin/dingtalk/corps/${CORP}`, { maxRedirects: 0 });
    expect(closed.status()).toBe(303);
    // A callback without the state this browser was given is refused (login CSRF).
    const forged = await page.request.get(
      `${tool.url}/admin/dingtalk/callback?authCode=x&state=${CORP}.forged`,
    );
    expect(forged.status()).toBe(403);
    await page.close();
  });

  it('is refused to someone who picked another organisation on DingTalk’s page, and to an external contact', async () => {
    const refusal = async (): Promise<string> => {
      const page = await browser.newPage();
      await page.goto(`${tool.url}/admin/dingtalk/login?corp=${CORP}`);
      await page.getByRole('heading', { name: 'Sign-in refused' }).waitFor();
      const why = (await page.getByRole('alert').textContent()) ?? '';
      await page.close();
      return why;
    };
    // The organisation's admin also works for another one, and picked that one on DingTalk's page:
    // the user token names it, and it is not the organisation being signed in to.
    sim.addUser({ corpId: OTHER_CORP, userid: 'boss-o', unionid: 'union-boss', name: 'Admin', deptIds: [1] });
    sim.deviceUser = { corpId: CORP, userid: 'boss' };
    sim.oauthPicks = OTHER_CORP;
    try {
      expect(await refusal()).toContain('other-organisation');
    } finally {
      sim.oauthPicks = undefined;
    }
    // A partner in the organisation's contacts is no staff member (getbyunionid: contact_type 1).
    sim.addUser({
      corpId: CORP,
      userid: 'partner',
      unionid: 'union-partner',
      name: 'Partner',
      deptIds: [1],
      external: true,
    });
    sim.deviceUser = { corpId: CORP, userid: 'partner' };
    expect(await refusal()).toContain('external-contact');
  });

  it('a tool admin signs in with a password in Chromium, connects an organisation (bad settings refused) and disconnects it', async () => {
    await tool.adminUsers.set('ops', 'correct horse battery staple');
    const page = await browser.newPage();
    await page.goto(`${tool.url}/admin/login`);
    await page.getByLabel('User name').fill('ops');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Render nodes' }).waitFor();
    await page.goto(`${tool.url}/admin/dingtalk`);
    const fill = async (aesKey: string): Promise<void> => {
      await page.getByLabel('CorpId').fill('ding-corp-new');
      await page.getByLabel('Name', { exact: true }).fill('New Co 新公司');
      await page.getByLabel('Tenant (whose lessons it sees)').fill(tenantId);
      await page.getByLabel('AppKey (Client ID)').fill('ding-app-new');
      await page.getByLabel('AppSecret').fill('new-secret-0123');
      await page.getByLabel('AgentId').fill('3003');
      await page.getByLabel('Event subscription aes_key (optional)').fill(aesKey);
      await page.getByRole('button', { name: 'Save' }).click();
    };
    await fill('too-short');
    await page.getByRole('alert').filter({ hasText: 'callbackAesKey' }).waitFor();
    expect(await tool.dingtalk.corps.get('ding-corp-new')).toBeUndefined();
    await fill('');
    await page.getByRole('link', { name: 'New Co 新公司' }).waitFor();
    const saved = await tool.dingtalk.corps.get('ding-corp-new');
    expect(saved).toMatchObject({ tenantId, appKey: 'ding-app-new', agentId: '3003', callback: undefined });
    // The secret is stored, never shown back.
    expect(await page.content()).not.toContain('new-secret-0123');

    await page.getByLabel(/Disconnect New Co 新公司/).check();
    await page
      .getByRole('listitem')
      .filter({ hasText: 'New Co' })
      .getByRole('button', { name: 'Disconnect' })
      .click();
    await page.getByRole('heading', { name: 'DingTalk organisations' }).waitFor();
    expect(await page.getByRole('link', { name: 'New Co 新公司' }).count()).toBe(0);
    expect(await tool.dingtalk.corps.get('ding-corp-new')).toBeUndefined();
    await page.close();
  });
});
