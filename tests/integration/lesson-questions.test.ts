import pg from 'pg';
import type { ToolConfig } from '../../lti-tool/src/config.js';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { ReferencePlatform, type ToolRegistration } from '../../reference-platform/src/reference-platform.js';
import { ApiClient, createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';
import { launch, publishLesson, registerManually } from '../helpers/lti.js';
import { until } from '../helpers/until.js';
import { makeSpeech } from '../helpers/speech.js';

/**
 * Questions inside a lesson with the REFERENCE PLATFORM SIMULATOR as the AGS peer, real PostgreSQL
 * and Redis and a real rendered lesson: the author sets questions, a learner's player gets them
 * without their answers, answers are checked, counted once and graded on the server, and the
 * gradebook gets watching and questions together, with the breakdown.
 */
let db: { url: string; drop(): Promise<void> };
let config: ToolConfig;
let tool: RunningTool;
let platform: ReferencePlatform;
let reg: ToolRegistration;
let sql: pg.Client;
let lessonId: string;
let activityId: string;
let duration: number;

const intent = (user: string, activity?: string, context = '101') => ({
  clientId: reg.clientId,
  userId: user,
  kind: activity ? ('resource' as const) : ('deeplink' as const),
  contextId: context,
  resourceLinkId: activity,
});
const sessionOf = async (user: string, activity = activityId): Promise<string> => {
  const l = await launch(tool, platform, intent(user, activity));
  expect(l.status).toBe(200);
  return l.session!;
};

const QUESTIONS = {
  questions: [
    {
      kind: 'single',
      at: 1,
      prompt: 'Where do pallets stay?',
      points: 2,
      choices: [
        { id: 'aisle', text: 'In the aisle', correct: false, feedback: 'Aisles stay clear.' },
        { id: 'line', text: 'Behind the yellow line', correct: true },
      ],
      feedback: { correct: 'Right: behind the line.' },
    },
    { kind: 'text', at: 2.5, prompt: 'What must aisles be?', accepted: ['clear', '畅通'], required: false },
  ],
  attempts: { max: 2, counts: 'best' },
  watchingWeight: 0.3,
  passThreshold: 0.6,
};

interface Asked {
  key: string;
  kind: string;
  done: boolean;
  attemptsUsed: number;
}
const askedOf = async (session: string, lesson = lessonId): Promise<Response> =>
  fetch(`${tool.url}/lti/lessons/${lesson}/questions`, { headers: { authorization: `Bearer ${session}` } });
const answer = (session: string, body: Record<string, unknown>, lesson = lessonId): Promise<Response> =>
  fetch(`${tool.url}/lti/lessons/${lesson}/answers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const keysOf = async (session: string): Promise<Record<string, string>> => {
  const { questions } = (await (await askedOf(session)).json()) as { questions: Asked[] };
  return Object.fromEntries(questions.map((q) => [q.kind, q.key]));
};
const heartbeat = (body: Record<string, unknown>): Promise<Response> =>
  fetch(`${tool.url}/lti/progress`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const scoresOf = (user: string) => platform.scores.filter((s) => s.body.userId === user).map((s) => s.body);
/** Watches the whole lesson, as a player that played it through would report (with the clock's credit). */
const watchAll = async (session: string, user: string): Promise<void> => {
  expect(
    (await heartbeat({ session, lessonId, seq: 1, position: 0, intervals: [], event: 'play' })).status,
  ).toBe(200);
  await sql.query(`UPDATE watch_progress SET credit_sec = 600 WHERE user_id = $1 AND lesson_id = $2`, [
    user,
    lessonId,
  ]);
  const res = await heartbeat({
    session,
    lessonId,
    seq: 2,
    position: duration,
    intervals: [[0, duration]],
    event: 'ended',
  });
  expect(((await res.json()) as { coverage: number }).coverage).toBe(1);
};

beforeAll(async () => {
  db = await createTestDatabase();
  config = await toolConfig({
    VT_DATABASE_URL: db.url,
    VT_GRADE_BACKOFF_MS: '100',
    VT_GRADE_MAX_BACKOFF_MS: '400',
    VT_GRADE_RELAY_SEC: '1',
    VT_ANSWERS_PER_MINUTE: '12',
  });
  tool = await startTestTool(config);
  platform = await new ReferencePlatform().start();
  reg = await registerManually(tool, platform);
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const speech = await makeSpeech([
    { say: 'Keep the aisles clear at all times.' },
    { silence: 1 },
    { say: 'Pallets stay behind the yellow line.' },
  ]);
  ({ lessonId, activityId } = await publishLesson(tool, platform, reg, {
    queuePrefix: config.VT_QUEUE_PREFIX,
    title: 'Clear aisles',
    audio: speech.path,
  }));
  const { rows } = await sql.query<{ d: number }>(
    `SELECT (r.result->>'durationSec')::float AS d FROM lessons l JOIN renders r ON r.id = l.published_render_id WHERE l.id = $1`,
    [lessonId],
  );
  duration = rows[0]!.d;
  const author = new ApiClient(tool.url, await sessionOf('3', activityId));
  const put = await author.fetch(`/api/lessons/${lessonId}/questions`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(QUESTIONS),
  });
  expect(put.status).toBe(200);
});

afterAll(async () => {
  await sql?.end();
  await platform?.close();
  await tool?.close();
  await db?.drop();
});

describe('the author sets questions', () => {
  it("are the course instructor's to set: a learner's launch, another course's instructor and a bad set are refused", async () => {
    const learner = new ApiClient(tool.url, await sessionOf('4'));
    const put = (c: ApiClient, body: unknown) =>
      c.fetch(`/api/lessons/${lessonId}/questions`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await put(learner, QUESTIONS)).status).toBe(401);
    const elsewhere = await launch(tool, platform, intent('3', undefined, '202'));
    const other = new ApiClient(tool.url, elsewhere.session!);
    expect((await put(other, QUESTIONS)).status).toBe(404);
    const author = new ApiClient(tool.url, await sessionOf('3'));
    const twoRight = structuredClone(QUESTIONS);
    twoRight.questions[0]!.choices![0]!.correct = true;
    const refused = await put(author, twoRight);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain('one right choice');
    const mine = (await (
      await author.fetch(`/api/lessons/${lessonId}/questions`)
    ).json()) as typeof QUESTIONS;
    expect(mine.questions[0]!.choices![1]!.correct).toBe(true); // the author sees the answers
  });
});

describe("the learner's player", () => {
  it('gets what is asked and never what is right; only for the lesson it launched', async () => {
    const session = await sessionOf('5');
    const res = await askedOf(session);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    expect(text).toContain('Behind the yellow line');
    expect(text).not.toMatch(/correct|feedback|accepted|clear"|畅通/);
    const { questions } = JSON.parse(text) as { questions: Asked[] };
    expect(questions.map((q) => [q.kind, q.done, q.attemptsUsed])).toEqual([
      ['single', false, 0],
      ['text', false, 0],
    ]);
    expect((await askedOf(session, '00000000-0000-4000-8000-000000000000')).status).toBe(403);
    expect((await askedOf('vt_lti_forged')).status).toBe(401);
  });
});

describe('answers', () => {
  it('are checked on the server: wrong with its feedback, then right; a replay counts once', async () => {
    const session = await sessionOf('6');
    const keys = await keysOf(session);
    const wrong = await answer(session, { question: keys.single, attempt: 1, answer: { choice: 'aisle' } });
    expect(wrong.status).toBe(200);
    expect(await wrong.json()).toMatchObject({
      correct: false,
      feedback: 'Aisles stay clear.',
      attemptsLeft: 1,
      done: false,
      earned: 0,
      total: 3,
    });
    const right = { question: keys.single, attempt: 2, answer: { choice: 'line' } };
    expect(await (await answer(session, right)).json()).toMatchObject({
      correct: true,
      feedback: 'Right: behind the line.',
      attemptsLeft: 0,
      done: true,
      earned: 2,
    });
    // The reply was lost and the player sends the same answer again: the same reply, nothing counted twice.
    const again = await answer(session, right);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ correct: true, earned: 2, attemptsLeft: 0 });
    const { rows } = await sql.query(
      `SELECT attempt FROM question_answers WHERE user_id = '6' ORDER BY attempt`,
    );
    expect(rows.map((r: { attempt: number }) => r.attempt)).toEqual([1, 2]);
    // Typed answers, however they were typed.
    expect(
      await (await answer(session, { question: keys.text, attempt: 1, answer: { text: ' 畅通。' } })).json(),
    ).toMatchObject({ correct: true, earned: 3, total: 3 });
    const standing = (await (await askedOf(session)).json()) as { questions: Asked[] };
    expect(standing.questions.every((q) => q.done)).toBe(true);
  });

  it('refuses forged, skipped, changed and extra attempts, other kinds of answer, and instructors', async () => {
    const session = await sessionOf('7');
    const keys = await keysOf(session);
    const codeOf = async (r: Promise<Response>) => {
      const res = await r;
      return [res.status, ((await res.json()) as { code: string }).code];
    };
    expect(
      await codeOf(answer(session, { question: keys.single, attempt: 2, answer: { choice: 'line' } })),
    ).toEqual([409, 'ATTEMPT_OUT_OF_ORDER']);
    expect(
      await codeOf(answer(session, { question: keys.single, attempt: 3, answer: { choice: 'line' } })),
    ).toEqual([409, 'NO_ATTEMPTS_LEFT']);
    expect(
      await codeOf(answer(session, { question: keys.single, attempt: 1, answer: { text: 'line' } })),
    ).toEqual([400, 'INVALID_REQUEST']);
    expect(
      await codeOf(answer(session, { question: keys.single, attempt: 1, answer: { choice: 'nope' } })),
    ).toEqual([400, 'INVALID_REQUEST']);
    expect(
      await codeOf(answer(session, { question: 'AAAAAAAAAAAAAAAA', attempt: 1, answer: { value: true } })),
    ).toEqual([404, 'NOT_FOUND']);
    expect(
      (await answer(session, { question: keys.single, attempt: 1, answer: { choice: 'aisle' } })).status,
    ).toBe(200);
    // The same attempt with another answer is not a retry: refused, the first one stands.
    expect(
      await codeOf(answer(session, { question: keys.single, attempt: 1, answer: { choice: 'line' } })),
    ).toEqual([409, 'ATTEMPT_TAKEN']);
    const instructor = await sessionOf('3');
    expect(
      await codeOf(answer(instructor, { question: keys.single, attempt: 1, answer: { choice: 'line' } })),
    ).toEqual([403, 'FORBIDDEN']);
    expect(
      (
        await answer(
          session,
          { question: keys.single, attempt: 1, answer: { choice: 'line' } },
          '00000000-0000-4000-8000-000000000000',
        )
      ).status,
    ).toBe(403);
    const { rows } = await sql.query(`SELECT answer FROM question_answers WHERE user_id = '7'`);
    expect(rows).toEqual([{ answer: { choice: 'aisle' } }]);
  });
});

describe('the gradebook', () => {
  it('gets watching and questions together, completes only when both thresholds are met, with the breakdown', async () => {
    const user = '4';
    const session = await sessionOf(user);
    const keys = await keysOf(session);
    await watchAll(session, user);
    // Watched it all, but no question answered: 30 % of the grade, not complete.
    await until('the watching score', () =>
      scoresOf(user).some((s) => s.activityProgress === 'InProgress' || s.activityProgress === 'Started'),
    );
    expect(scoresOf(user).every((s) => s.activityProgress !== 'Completed')).toBe(true);
    const [{ rows: before }] = [
      await sql.query(`SELECT completed_at FROM watch_progress WHERE user_id = $1`, [user]),
    ];
    expect(before[0].completed_at).toBeNull();

    // The 2-point question wrong: 0/3, still not complete; then right: 2/3 ≥ 60 %, complete.
    await answer(session, { question: keys.single, attempt: 1, answer: { choice: 'aisle' } });
    const done = await (
      await answer(session, { question: keys.single, attempt: 2, answer: { choice: 'line' } })
    ).json();
    expect(done).toMatchObject({ correct: true, completed: true, earned: 2, total: 3 });
    await until('the completed score', () => scoresOf(user).some((s) => s.activityProgress === 'Completed'));
    const completed = scoresOf(user).find((s) => s.activityProgress === 'Completed')!;
    const maximum = completed.scoreMaximum as number;
    expect(completed).toMatchObject({ gradingProgress: 'FullyGraded' });
    expect(completed.scoreGiven).toBeCloseTo(maximum * (0.3 * 1 + 0.7 * (2 / 3)), 1);
    expect(completed.comment).toContain('questions 2/3');
    expect(completed.comment).toContain('Watched 100 %');
  });

  it('keeps the answers to questions a new version did not change', async () => {
    const user = '5';
    const session = await sessionOf(user);
    const keys = await keysOf(session);
    await answer(session, { question: keys.single, attempt: 1, answer: { choice: 'line' } });
    await answer(session, { question: keys.text, attempt: 1, answer: { text: 'clear' } });
    const changed = structuredClone(QUESTIONS);
    changed.questions[0]!.at = 2; // moved: the same question
    changed.questions[1]!.accepted = ['clear', 'free']; // another answer counts now: a new question
    const author = new ApiClient(tool.url, await sessionOf('3'));
    const put = await author.fetch(`/api/lessons/${lessonId}/questions`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(changed),
    });
    expect(put.status).toBe(200);
    const { questions } = (await (await askedOf(session)).json()) as { questions: Asked[] };
    expect(questions.map((q) => [q.kind, q.done])).toEqual([
      ['single', true],
      ['text', false],
    ]);
    expect(questions[0]!.key).toBe(keys.single);
    expect(questions[1]!.key).not.toBe(keys.text);
    await author.fetch(`/api/lessons/${lessonId}/questions`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(QUESTIONS),
    });
  });
});

describe("the instructor's dashboard", () => {
  const dashboard = async (fields: Record<string, string>): Promise<Response> =>
    fetch(`${tool.url}/lti/dashboard`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ session: await sessionOf('3'), lesson: lessonId, ...fields }),
    });

  it("shows each question's statistics, each learner's answers and grade, and who watched and rewatched each second", async () => {
    // Learner 4 watched it all (above) and now plays its first second again.
    const again = await sessionOf('4');
    await heartbeat({ session: again, lessonId, seq: 1, position: 0, intervals: [], event: 'play' });
    await heartbeat({ session: again, lessonId, seq: 2, position: 1, intervals: [[0, 1]], event: 'pause' });

    const res = await dashboard({});
    expect(res.status).toBe(200);
    const page = await res.text();
    const keys = await keysOf(await sessionOf('6'));
    // The single choice: learners 4 and 6 wrong then right, 7 wrong, 5 right at once.
    const row = new RegExp(`<tr data-question="${keys.single}">([\\s\\S]*?)</tr>`).exec(page)![1]!;
    const cells = [...row.matchAll(/<t[hd][^>]*>\s*([\s\S]*?)\s*<\/t[hd]>/g)].map((m) => m[1]!.trim());
    expect(cells).toEqual([
      'Where do pallets stay?',
      '0:01',
      '4',
      '25 %',
      '75 %',
      'In the aisle (3)',
      expect.any(String),
    ]);
    // Each learner's answers, and their grade beside their watching.
    expect(page).toMatch(
      /<tr data-user="7">\s*<th scope="row">[^<]+<\/th>\s*<td data-result="wrong">\s*Wrong \(1 attempt\(s\)\)/,
    );
    expect(page).toMatch(
      /<tr data-user="6">\s*<th scope="row">[^<]+<\/th>\s*<td data-result="right">\s*Right \(attempt 2\)/,
    );
    expect(page).toMatch(/<tr data-user="4"[^>]*>[\s\S]*?<td>2\/3<\/td>\s*<td data-grade="77">/);
    // Engagement: learner 4 watched the first second twice.
    const first = /<tr data-from="0">\s*<td>[^<]+<\/td>\s*<td>(\d+)<\/td>\s*<td>(\d+)<\/td>/.exec(page)!;
    expect(Number(first[1])).toBeGreaterThanOrEqual(1);
    expect(Number(first[2])).toBe(1);
    expect(page).toContain('id="engagement-chart"');
  });

  it('exports the answers and grades in the CSV', async () => {
    const res = await dashboard({ format: 'csv' });
    expect(res.headers.get('content-type')).toContain('text/csv');
    const [head, ...lines] = (await res.text())
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    const columns = head!.split(',');
    expect(columns.slice(-5)).toEqual([
      'question_points',
      'question_total',
      'grade_percent',
      'question_1',
      'question_2',
    ]);
    const six = lines.find((l) => l.split(',')[4] === '6')!.split(',');
    expect(six.slice(-5)).toEqual(['3', '3', expect.any(String), 'right (2)', 'right (1)']);
  });
});

describe('the answers endpoint (in front of Express, as heartbeats are)', () => {
  const raw = (headers: Record<string, string>, body: string): Promise<Response> =>
    fetch(`${tool.url}/lti/lessons/${lessonId}/answers`, { method: 'POST', headers, body });

  it('refuses what is not an answer with problem+json and a stable code, and is never cached or framed', async () => {
    const session = await sessionOf('6');
    const json = { 'content-type': 'application/json', authorization: `Bearer ${session}` };
    const ok = JSON.stringify({ question: 'AAAAAAAAAAAAAAAA', attempt: 1, answer: { value: true } });
    const cases: [Record<string, string>, string, number, string][] = [
      [{ 'content-type': 'application/json' }, ok, 401, 'UNAUTHENTICATED'],
      [{ ...json, authorization: 'Bearer vt_lti_forged' }, ok, 401, 'UNAUTHENTICATED'],
      [{ ...json, 'content-type': 'text/plain' }, ok, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [json, JSON.stringify({ pad: 'x'.repeat(9000) }), 413, 'PAYLOAD_TOO_LARGE'],
      [json, '{"question": ', 400, 'INVALID_JSON'],
      [json, JSON.stringify({ question: 'x', attempt: 0 }), 400, 'INVALID_REQUEST'],
      [json, ok, 404, 'NOT_FOUND'],
    ];
    for (const [headers, body, status, code] of cases) {
      const res = await raw(headers, body);
      expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([status, code]);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
    // A malformed lesson id in the path: refused at the door.
    const bad = await fetch(`${tool.url}/lti/lessons/bad%20id!/answers`, {
      method: 'POST',
      headers: json,
      body: ok,
    });
    expect(bad.status).toBe(400);
  });

  it("limits each learner's answers a minute (12 here), with Retry-After; the tool stays up", async () => {
    const session = await sessionOf('7');
    const keys = await keysOf(session);
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) {
      const res = await answer(session, { question: keys.text, attempt: 9, answer: { text: 'x' } });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(((await res.json()) as { code: string }).code).toBe('RATE_LIMITED');
        break;
      }
    }
    expect(statuses.at(-1)).toBe(429);
    expect((await fetch(`${tool.url}/healthz`)).status).toBe(200);
  });
});
