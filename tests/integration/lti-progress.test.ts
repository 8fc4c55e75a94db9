import { decodeProtectedHeader } from 'jose';
import pg from 'pg';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { ToolConfig } from '../../lti-tool/src/config.js';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { ReferencePlatform, type ToolRegistration } from '../../reference-platform/src/reference-platform.js';
import {
  ApiClient,
  createTestDatabase,
  startNode,
  startTestTool,
  stopNode,
  toolConfig,
} from '../helpers/farm.js';
import { launch, registerManually } from '../helpers/lti.js';
import { PORTRAIT } from '../helpers/paths.js';
import { until } from '../helpers/until.js';
import { makeSpeech } from '../helpers/speech.js';

import { MOODLE_DEFAULT_HTTP_SECURITY } from '../../reference-platform/src/moodle-http-security.js';
import { adminPage, adminSignIn, postAdminForm } from '../helpers/admin.js';

import type { QueueName } from '../../lti-tool/src/jobs/queues.js';

/**
 * Learner progress to the gradebook with the REFERENCE PLATFORM SIMULATOR as the AGS and NRPS peer,
 * real PostgreSQL and Redis: heartbeats, who may send them, scores through the outbox (an LMS
 * answering 500, a tool restarted with its queue lost), line items made where the platform had
 * none, and the instructor's dashboard with the roster.
 */
let db: { url: string; drop(): Promise<void> };
let config: ToolConfig;
let tool: RunningTool;
let platform: ReferencePlatform;
let reg: ToolRegistration;
let lessonId: string;
let activityId: string;
let duration: number;
let sql: pg.Client;

const intent = (user: string, kind: 'deeplink' | 'resource', activity?: string, context = '101') => ({
  clientId: reg.clientId,
  userId: user,
  kind,
  contextId: context,
  resourceLinkId: activity,
});

interface Standing {
  coverage: number;
  completed: boolean;
}
const standing = async (res: Promise<Response>): Promise<Standing> => (await (await res).json()) as Standing;

const heartbeat = (body: Record<string, unknown>, type = 'application/json'): Promise<Response> =>
  fetch(`${tool.url}/lti/progress`, {
    method: 'POST',
    headers: { 'content-type': type },
    body: JSON.stringify(body),
  });

const learnerSession = async (user: string): Promise<string> => {
  const l = await launch(tool, platform, intent(user, 'resource', activityId));
  expect(l.status).toBe(200);
  return l.session!;
};

/**
 * Heartbeats here come faster than anyone watches; the tool credits new ground only as the clock of a
 * playing player allows. Ten minutes of credit, as if the learner had been playing that long, lets a
 * test report a whole lesson.
 */
const startedLongAgo = (user: string): Promise<unknown> =>
  sql.query(`UPDATE watch_progress SET credit_sec = 600 WHERE user_id = $1`, [user]);

const scoresOf = (user: string) => platform.scores.filter((s) => s.body.userId === user).map((s) => s.body);

beforeAll(async () => {
  db = await createTestDatabase();
  config = await toolConfig({
    VT_DATABASE_URL: db.url,
    VT_GRADE_BACKOFF_MS: '100',
    VT_GRADE_MAX_BACKOFF_MS: '400',
    VT_GRADE_RELAY_SEC: '1',
  });
  tool = await startTestTool(config);
  platform = await new ReferencePlatform().start();
  reg = await registerManually(tool, platform);
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();

  // A real lesson: rendered by a node, published through deep linking with a line item.
  const node = await startNode('progress-node', { VT_QUEUE_PREFIX: config.VT_QUEUE_PREFIX });
  try {
    const l = await launch(tool, platform, intent('3', 'deeplink'));
    const studio = new ApiClient(tool.url, l.session!);
    const portrait = await studio.upload('portrait', PORTRAIT);
    const audio = await studio.upload(
      'audio',
      (
        await makeSpeech([
          { say: 'Keep the aisles clear at all times.' },
          { silence: 4 },
          { say: 'Pallets stay behind the yellow line.' },
          { silence: 3 },
        ])
      ).path,
    );
    const submitted = await studio.submit({
      title: 'Clear aisles',
      portrait: portrait.sha256,
      audio: audio.sha256,
      size: '384*256',
    });
    const done = await studio.waitFor(submitted.id, ['done', 'failed']);
    expect(done.state).toBe('done');
    const page = await (
      await fetch(`${tool.url}/lti/studio/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          session: l.session!,
          renderId: done.id,
          title: 'Clear aisles',
          scoreMaximum: '20',
          completion: '80',
        }),
      })
    ).text();
    const jwt = /name="JWT" value="([^"]+)"/.exec(page)![1]!;
    expect(decodeProtectedHeader(jwt).kid).toBeTruthy();
    await fetch(`${platform.url}/deep-link-return/101`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ JWT: jwt }),
    });
    activityId = [...platform.activities.values()].at(-1)!.id;
    lessonId = done.lessonId;
  } finally {
    await stopNode(node);
  }
  const { rows } = await sql.query<{ d: number }>(
    `SELECT (r.result->>'durationSec')::float AS d FROM lessons l JOIN renders r ON r.id = l.published_render_id WHERE l.id = $1`,
    [lessonId],
  );
  duration = rows[0]!.d;
  expect(duration).toBeGreaterThan(1);
});

afterAll(async () => {
  await sql?.end();
  await platform?.close();
  await tool?.close();
  await db?.drop();
});

describe('heartbeats: who may report watching', () => {
  it('refuses a malformed, disguised or oversized body, an unknown session, an instructor, and another lesson', async () => {
    const session = await learnerSession('4');
    const ok = { session, lessonId, seq: 1, position: 0, intervals: [], event: 'tick' };
    expect((await heartbeat({ ...ok, intervals: 'all' })).status).toBe(400);
    const raw = (body: string, type: string): Promise<Response> =>
      fetch(`${tool.url}/lti/progress`, { method: 'POST', headers: { 'content-type': type }, body });
    const notJson = await raw('{"session": ', 'application/json');
    expect(notJson.status).toBe(400);
    expect(notJson.headers.get('cache-control')).toBe('no-store');
    expect(notJson.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await raw(JSON.stringify(ok), 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await raw(JSON.stringify({ ...ok, pad: 'x'.repeat(20_000) }), 'application/json')).status).toBe(
      413,
    );
    // What navigator.sendBeacon sends: the same JSON as text/plain.
    expect((await raw(JSON.stringify(ok), 'text/plain;charset=UTF-8')).status).toBe(200);
    expect((await heartbeat({ ...ok, session: 'vt_lti_forged' })).status).toBe(401);
    const instructor = await launch(tool, platform, intent('3', 'resource', activityId));
    expect((await heartbeat({ ...ok, session: instructor.session })).status).toBe(403);
    expect((await heartbeat({ ...ok, lessonId: '00000000-0000-4000-8000-000000000000' })).status).toBe(403);
  });

  it('cannot report for another learner: the session alone says who watched', async () => {
    const session = await learnerSession('4');
    const res = await heartbeat({
      session,
      lessonId,
      seq: 1,
      position: 1,
      intervals: [[0, 1]],
      event: 'tick',
      userId: '5',
    });
    expect(res.status).toBe(200);
    const { rows } = await sql.query('SELECT user_id FROM watch_progress WHERE lesson_id = $1', [lessonId]);
    expect(rows.map((r) => r.user_id)).toEqual(['4']);
  });

  it("a learner of another tenant cannot report on this tenant's lesson", async () => {
    // Course 102 through a second deployment of the same platform: another tenant.
    const other = await registerManually(tool, platform);
    const l = await launch(tool, platform, {
      clientId: other.clientId,
      userId: '5',
      kind: 'resource',
      contextId: '101',
      resourceLinkId: activityId,
    });
    // The activity's lesson is not in that tenant: no launch, so no session to report with.
    expect(l.status).not.toBe(200);
    expect(l.session).toBeUndefined();
  });
});

describe('coverage and scores through the outbox', () => {
  it('merges duplicates and rewatching, and sends Started, then Completed + FullyGraded with the right score', async () => {
    const session = await learnerSession('5');
    const half = duration / 2;
    const first = await standing(
      heartbeat({ session, lessonId, seq: 1, position: 1, intervals: [[0, 1]], event: 'tick' }),
    );
    expect(first.coverage).toBeCloseTo(1 / duration, 3);
    await startedLongAgo('5');
    // The same heartbeat again, and a rewatch of the same second: nothing more.
    await heartbeat({ session, lessonId, seq: 1, position: 1, intervals: [[0, 1]], event: 'tick' });
    const again = await standing(
      heartbeat({ session, lessonId, seq: 2, position: 1, intervals: [[0, 1]], event: 'seeked' }),
    );
    expect(again.coverage).toBeCloseTo(1 / duration, 3);
    // Out of order: seq 4 before seq 3.
    await heartbeat({
      session,
      lessonId,
      seq: 4,
      position: duration,
      intervals: [[half, duration]],
      event: 'ended',
    });
    const done = await standing(
      heartbeat({ session, lessonId, seq: 3, position: half, intervals: [[1, half]], event: 'tick' }),
    );
    expect(done).toMatchObject({ coverage: 1, completed: true });

    await until('the completed score', () => scoresOf('5').some((s) => s.activityProgress === 'Completed'));
    const scores = scoresOf('5');
    expect(scores[0]).toMatchObject({ activityProgress: 'Started', gradingProgress: 'Pending' });
    expect(scores.at(-1)).toMatchObject({
      userId: '5',
      scoreGiven: 20,
      scoreMaximum: 20,
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
    });
    expect(Date.parse(String(scores.at(-1)!.timestamp))).toBeGreaterThan(Date.now() - 60_000);

    // Once delivered, the learner's job is gone for good: no job re-queues itself for nothing.
    const redis = new Redis(config.VT_REDIS_URL);
    const events = `${config.VT_QUEUE_PREFIX}:${'grades' satisfies QueueName}:events`;
    const grades = new Queue('grades' satisfies QueueName, {
      connection: redis,
      prefix: config.VT_QUEUE_PREFIX,
    });
    const idle = Date.now() + 60_000;
    for (;;) {
      const c = await grades.getJobCounts('waiting', 'active', 'delayed');
      if ((c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) === 0 || Date.now() > idle) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await grades.close();
    const [last] = await redis.xrevrange(events, '+', '-', 'COUNT', 1);
    await new Promise((r) => setTimeout(r, 1000));
    const since = await redis.xrange(events, last ? `(${last[0]}` : '-', '+');
    redis.disconnect();
    expect(since.map(([, fields]) => fields[1])).toEqual([]);
  });

  it('skipping to the end is not watching', async () => {
    const session = await learnerSession('6');
    // One second played, then a seek to the end and the last second played.
    const r = await standing(
      heartbeat({
        session,
        lessonId,
        seq: 1,
        position: duration,
        intervals: [
          [0, 1],
          [duration - 1, duration],
        ],
        event: 'ended',
      }),
    );
    expect(r.completed).toBe(false);
    expect(r.coverage).toBeCloseTo(2 / duration, 3);
    // A forged claim of the whole lesson at once is held to what the clock allows.
    const forged = await standing(
      heartbeat(
        { session, lessonId, seq: 2, position: 0, intervals: [[0, 3600]], event: 'tick' },
        'text/plain',
      ),
    );
    expect(forged.coverage * duration).toBeLessThanOrEqual(2 + 10 + 2 * 5);
  });

  it('while the LMS answers 500 scores wait; after it recovers the latest arrives exactly once', async () => {
    platform.scoreOutage = 500;
    const session = await learnerSession('7');
    const before = platform.refusedScores;
    await heartbeat({ session, lessonId, seq: 1, position: 0.5, intervals: [[0, 0.5]], event: 'tick' });
    await startedLongAgo('7');
    await until('refused attempts', () => platform.refusedScores >= before + 2);
    // More watching while it is down: newer versions supersede the undelivered one.
    await heartbeat({
      session,
      lessonId,
      seq: 2,
      position: duration,
      intervals: [[0.5, duration]],
      event: 'ended',
    });
    await until('more refused attempts', () => platform.refusedScores >= before + 4);
    const { rows } = await sql.query(
      `SELECT status, version, last_error FROM grade_outbox WHERE user_id = '7'`,
    );
    expect(rows[0]).toMatchObject({ status: 'pending' });
    expect(rows[0].version).toBeGreaterThanOrEqual(2);
    expect(rows[0].last_error).toMatch(/500/);
    expect(scoresOf('7')).toEqual([]);

    platform.scoreOutage = undefined;
    await until('delivery after recovery', () => scoresOf('7').length > 0);
    await new Promise((r) => setTimeout(r, 1500)); // time for a second delivery, if there were one
    expect(scoresOf('7')).toHaveLength(1);
    expect(scoresOf('7')[0]).toMatchObject({
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
      scoreGiven: 20,
    });
    const after = await sql.query(
      `SELECT status, delivered_version, version FROM grade_outbox WHERE user_id = '7'`,
    );
    expect(after.rows[0].status).toBe('delivered');
    expect(after.rows[0].delivered_version).toBe(after.rows[0].version);
  });

  it('a tool restarted mid-way, with its queue lost, still delivers the pending score once', async () => {
    platform.scoreOutage = 503;
    const session = await learnerSession('4');
    const before = platform.refusedScores;
    await startedLongAgo('4');
    await heartbeat({
      session,
      lessonId,
      seq: 2,
      position: duration,
      intervals: [[0, duration]],
      event: 'ended',
    });
    await until('a refused attempt', () => platform.refusedScores > before);
    await tool.close();
    // Redis lost the delivery job (a flushed or replaced Redis): only the outbox in PostgreSQL remains.
    const redis = new Redis(config.VT_REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('grades' satisfies QueueName, {
      connection: redis,
      prefix: config.VT_QUEUE_PREFIX,
    });
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
    platform.scoreOutage = undefined;
    const delivered = scoresOf('4').length;
    tool = await startTestTool(config);
    await until('the relayed score', () => scoresOf('4').length > delivered);
    await new Promise((r) => setTimeout(r, 1500));
    expect(scoresOf('4')).toHaveLength(delivered + 1);
    expect(scoresOf('4').at(-1)).toMatchObject({
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
    });
  });

  it('keeps a 4xx refusal with its reason for the admin, and makes a line item where the platform had none', async () => {
    // A platform that lost the activity's line item: we find none for the link and create one.
    const activity = platform.activities.get(activityId)!;
    const lost = activity.lineItemId!;
    platform.lineItems.delete(lost);
    platform.activities.set(activityId, { ...activity, lineItemId: undefined });
    const session = await learnerSession('6');
    await startedLongAgo('6');
    await heartbeat({
      session,
      lessonId,
      seq: 3,
      position: duration,
      intervals: [[0, duration]],
      event: 'ended',
    });
    await until('a score on a new line item', () =>
      platform.scores.some((x) => x.body.userId === '6' && x.lineItemId !== lost),
    );
    const made = [...platform.lineItems.values()].find((l) => l.resourceLinkId === activityId)!;
    expect(made).toMatchObject({ scoreMaximum: 20, label: 'Clear aisles' });
    expect(platform.scores.at(-1)!.lineItemId).toBe(made.id);

    // The line item is deleted on the platform: the score gets 404, which is kept, not retried.
    platform.lineItems.delete(made.id);
    await sql.query(`UPDATE watch_progress SET scored_percent = -1 WHERE user_id = '5'`);
    const five = await learnerSession('5');
    await heartbeat({ session: five, lessonId, seq: 9, position: 1, intervals: [[0, 1]], event: 'tick' });
    await until('the refusal kept', async () => {
      const { rows } = await sql.query(`SELECT status, last_error FROM grade_outbox WHERE user_id = '5'`);
      return rows[0]?.status === 'failed';
    });
    const { rows } = await sql.query(`SELECT last_error FROM grade_outbox WHERE user_id = '5'`);
    expect(rows[0].last_error).toMatch(/404/);
  });
});

describe('the completion dashboard', () => {
  const dashboard = (fields: Record<string, string>): Promise<Response> =>
    fetch(`${tool.url}/lti/dashboard`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });

  it('shows an instructor the course: learners, coverage, completion, gradebook state and the roster', async () => {
    const l = await launch(tool, platform, intent('3', 'resource', activityId));
    expect(l.html).toContain('action="/lti/dashboard"');
    const page = await (await dashboard({ session: l.session! })).text();
    expect(page).toMatch(/<tr data-user="7" data-state="completed" data-sync="delivered">/);
    expect(page).toMatch(/<tr data-user="5" data-state="completed" data-sync="failed">[\s\S]*?404/);
    expect(page).toContain('id="completion-chart"');
    // Everyone in the roster (NRPS) is listed, with their names.
    for (const name of ['Leo Learner', 'Lin Xue', 'Mia Müller', 'Omar Haddad']) expect(page).toContain(name);
    expect(page).not.toContain('Ines Instructor');

    const failed = await (await dashboard({ session: l.session!, sync: 'failed' })).text();
    expect(failed.match(/<tr data-user=/g)).toHaveLength(1);
    const csv = await dashboard({ session: l.session!, format: 'csv' });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toMatch(
      /attachment; filename="?completion-\d{4}-\d{2}-\d{2}\.csv"?/,
    );
    const lines = (await csv.text()).trim().split('\r\n');
    // The course as Moodle names it (from the launch's context claim), then its id.
    expect(lines[0]).toContain('lesson_id,lesson,course,course_id,user_id,name,coverage_percent,state');
    expect(lines.find((x) => x.includes(',7,Omar Haddad,'))).toMatch(
      /,Warehouse safety,101,7,Omar Haddad,100,completed,/,
    );
  });

  it('is not for learners, nor without a session', async () => {
    const learner = await learnerSession('4');
    const res = await dashboard({ session: learner });
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain('data-user=');
    expect((await dashboard({ session: 'vt_lti_nope' })).status).toBe(401);
  });

  it('a grade refused while Moodle could not verify us is resent: by row from the dashboard, then all after the platform check passes', async () => {
    const outboxOf = async (user: string) =>
      (
        await sql.query<{ status: string; attempts: number; last_error: string | null }>(
          `SELECT status, attempts, last_error FROM grade_outbox WHERE user_id = $1`,
          [user],
        )
      ).rows[0]!;
    // Moodle's HTTP security as a fresh Moodle has it: it cannot fetch our keyset any more, and the
    // token it gave us expired.
    platform.httpSecurity = MOODLE_DEFAULT_HTTP_SECURITY;
    platform.revokeAccessTokens();
    const before = scoresOf('7').length;
    await sql.query(`UPDATE watch_progress SET scored_percent = -1 WHERE user_id = '7'`);
    const seven = await learnerSession('7');
    await heartbeat({ session: seven, lessonId, seq: 1, position: 1, intervals: [[0, 1]], event: 'tick' });
    await until('the refusal kept', async () => (await outboxOf('7')).status === 'failed');
    // The reason points at the cause (Moodle answers 404 when it cannot fetch our keyset).
    expect((await outboxOf('7')).last_error).toContain('cURL blocked hosts list');

    const l = await launch(tool, platform, intent('3', 'resource', activityId));
    const page = await (await dashboard({ session: l.session! })).text();
    const row = /<tr data-user="7"[\s\S]*?<\/tr>/.exec(page)![0];
    expect(row).toContain('data-sync="failed"');
    expect(row).toContain('HTTP security');
    expect(row).toMatch(/<button type="submit">\s*Resend\s*<\/button>/);
    expect(page).toContain('Resend all refused grades');

    // Resent while Moodle still cannot reach us: it goes out, and is refused again.
    const { attempts } = await outboxOf('7');
    const resent = await dashboard({
      session: l.session!,
      resend: 'one',
      resend_lesson: lessonId,
      resend_user: '7',
    });
    expect(await resent.text()).toContain('1 refused grade(s) sent again');
    await until('refused again', async () => {
      const r = await outboxOf('7');
      return r.status === 'failed' && r.attempts > attempts;
    });
    expect(scoresOf('7')).toHaveLength(before);
    // A resend names its learner and lesson in this course only: anything else resends nothing.
    const stray = await dashboard({
      session: l.session!,
      resend: 'one',
      resend_lesson: lessonId,
      resend_user: '999',
    });
    expect(await stray.text()).toContain('No refused grades to send.');

    // The Moodle admin fixes HTTP security; the tool admin checks the connection: it passes, and
    // every refused grade of the platform goes out again, delivered this time.
    platform.httpSecurity = undefined;
    await tool.adminUsers.set('ops', 'correct horse battery staple');
    const cookie = await adminSignIn(tool.url, 'ops', 'correct horse battery staple');
    const platformId = (await tool.registry.list())[0]!.id;
    const failedBefore = /data-refused="(\d+)"/.exec(
      await adminPage(tool.url, '/admin/platforms', cookie),
    )?.[1];
    expect(Number(failedBefore)).toBeGreaterThanOrEqual(1);
    // The admin's completion page offers the same resend, per row and for the tenant.
    expect(await adminPage(tool.url, '/admin/progress', cookie)).toContain('action="/admin/progress/resend"');
    const checked = await postAdminForm(tool.url, `/admin/platforms/${platformId}/check`, cookie, {});
    expect(checked.headers.get('location')).toMatch(/^\/admin\/platforms\?checked=passed&resent=[1-9]/);
    await until('the resent score delivered', async () => (await outboxOf('7')).status === 'delivered');
    expect(scoresOf('7').length).toBe(before + 1);
    // Lin's score was refused because its line item was deleted: resent, it gets a new one.
    await until('the lost line item replaced', async () => (await outboxOf('5')).status === 'delivered');
    expect(await adminPage(tool.url, '/admin/platforms', cookie)).not.toContain('data-refused=');
  });
});
