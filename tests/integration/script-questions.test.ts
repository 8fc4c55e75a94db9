import pg from 'pg';
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
  type TestNode,
} from '../helpers/farm.js';
import { launch, registerManually } from '../helpers/lti.js';
import { PORTRAIT } from '../helpers/paths.js';

/**
 * Questions written in a lesson's script (```question blocks), with eSpeak NG, a render node, real
 * PostgreSQL and the REFERENCE PLATFORM SIMULATOR: each is asked where it stands in the voice, a
 * dubbed version asks them in its own words, and a re-rendered version keeps learners' answers.
 */
let db: { url: string; drop(): Promise<void> };
let config: ToolConfig;
let tool: RunningTool;
let platform: ReferencePlatform;
let reg: ToolRegistration;
let node: TestNode;
let sql: pg.Client;
let studio: ApiClient;
let portrait: string;
let lessonId: string;
let activityId: string;

const block = (lines: string[]): string => ['```question', ...lines, '```'].join('\n');
const ENGLISH = [
  '# Aisles',
  'Keep the aisles clear at all times.',
  block([
    'Where do pallets stay?',
    '- [ ] In the aisle',
    '  Aisles stay clear.',
    '- [x] Behind the yellow line',
    'right: Yes, behind the line.',
  ]),
  '# Doors',
  'Fire doors stay shut.',
  block(['What must aisles be?', '= clear', 'points: 2']),
].join('\n\n');
const CHINESE = [
  '# 通道',
  '始终保持通道畅通。',
  block([
    '托盘应放在哪里？',
    '- [ ] 通道里',
    '  通道必须保持畅通。',
    '- [x] 黄线后面',
    'right: 对，放在黄线后面。',
  ]),
  '# 防火门',
  '防火门必须保持关闭。',
  block(['通道必须保持怎样？', '= 畅通', 'points: 2']),
].join('\n\n');

const render = async (body: Record<string, unknown>): Promise<{ id: string; lessonId: string }> => {
  const submitted = await studio.submit({ portrait, size: '384*256', ...body });
  const done = await studio.waitFor(submitted.id, ['done', 'failed']);
  expect(done.state).toBe('done');
  return done as { id: string; lessonId: string };
};
const learner = async (user: string): Promise<string> =>
  (
    await launch(tool, platform, {
      clientId: reg.clientId,
      userId: user,
      kind: 'resource',
      contextId: '101',
      resourceLinkId: activityId,
    })
  ).session!;
interface Asked {
  key: string;
  at: number;
  kind: string;
  prompt: string;
  done: boolean;
  choices?: { id: string; text: string }[];
}
const asked = async (session: string, language?: string): Promise<Asked[]> =>
  (
    (await (
      await fetch(`${tool.url}/lti/lessons/${lessonId}/questions${language ? `?language=${language}` : ''}`, {
        headers: { authorization: `Bearer ${session}` },
      })
    ).json()) as { questions: Asked[] }
  ).questions;
const answer = async (session: string, body: Record<string, unknown>) =>
  (await (
    await fetch(`${tool.url}/lti/lessons/${lessonId}/answers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  ).json()) as { correct: boolean; feedback?: string; done: boolean };

beforeAll(async () => {
  db = await createTestDatabase();
  config = await toolConfig({ VT_DATABASE_URL: db.url });
  tool = await startTestTool(config);
  platform = await new ReferencePlatform().start();
  reg = await registerManually(tool, platform);
  node = await startNode('script-questions-node', { VT_QUEUE_PREFIX: config.VT_QUEUE_PREFIX });
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const author = await launch(tool, platform, {
    clientId: reg.clientId,
    userId: '3',
    kind: 'deeplink',
    contextId: '101',
  });
  studio = new ApiClient(tool.url, author.session!);
  portrait = (await studio.upload('portrait', PORTRAIT)).sha256;
  const done = await render({
    title: 'Aisles and doors',
    narration: { script: ENGLISH, language: 'en', voice: 'espeak-ng/en-us' },
  });
  lessonId = done.lessonId;
  const page = await (
    await fetch(`${tool.url}/lti/studio/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ session: author.session!, renderId: done.id, title: 'Aisles and doors' }),
    })
  ).text();
  await fetch(`${platform.url}/deep-link-return/101`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ JWT: /name="JWT" value="([^"]+)"/.exec(page)![1]! }),
  });
  activityId = [...platform.activities.values()].at(-1)!.id;
});

afterAll(async () => {
  await sql?.end();
  if (node) await stopNode(node);
  await platform?.close();
  await tool?.close();
  await db?.drop();
});

describe('questions written in the script', () => {
  it('are asked where they stand in the voice: after the first chapter, and at the end', async () => {
    const { rows } = await sql.query<{ narration: { parts: number[]; durationSec: number } }>(
      `SELECT v.narration FROM lessons l JOIN renders r ON r.id = l.published_render_id
       JOIN lesson_versions v ON v.id = r.version_id WHERE l.id = $1`,
      [lessonId],
    );
    const { parts, durationSec } = rows[0]!.narration;
    expect(parts).toHaveLength(4); // two headings, two paragraphs: the blocks are not spoken
    const questions = await asked(await learner('4'));
    expect(questions.map((q) => [q.kind, q.prompt, q.at])).toEqual([
      ['single', 'Where do pallets stay?', parts[2]],
      ['text', 'What must aisles be?', Math.round(durationSec * 1000) / 1000],
    ]);
    expect(questions[0]!.choices!.map((c) => c.id)).toEqual(['c1', 'c2']);
    // The author sees them as the script's, apart from the questions they set themselves.
    const own = (await (await studio.fetch(`/api/lessons/${lessonId}/questions`)).json()) as {
      questions: unknown[];
      fromScript: { prompt: string }[];
    };
    expect(own.questions).toEqual([]);
    expect(own.fromScript.map((q) => q.prompt)).toEqual(['Where do pallets stay?', 'What must aisles be?']);
  });

  it('refuses a script whose question block does not read, before speaking it, and makes nothing', async () => {
    const before = await sql.query('SELECT count(*)::int AS n FROM renders');
    const res = await studio.fetch('/api/renders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        title: 'Broken',
        portrait,
        size: '384*256',
        narration: {
          script: `Hello.\n\n${block(['Which?', '- [x] This', 'points: many'])}`,
          language: 'en',
          voice: 'espeak-ng/en-us',
        },
      }),
    });
    expect(res.status).toBe(422);
    const problem = (await res.json()) as { code: string; detail: string };
    expect(problem.code).toBe('SCRIPT_QUESTION');
    expect(problem.detail).toContain('Question block 1: points must be a whole number');
    expect((await sql.query('SELECT count(*)::int AS n FROM renders')).rows).toEqual(before.rows);
  });

  it('are asked in the words of a dubbed version, checked the same, with its feedback', async () => {
    const dub = await render({
      lessonId,
      title: 'Aisles and doors',
      narration: { script: CHINESE, language: 'zh', voice: 'espeak-ng/cmn' },
    });
    const published = await studio.fetch(`/api/lessons/${lessonId}/languages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ renderId: dub.id }),
    });
    expect(published.status).toBe(200);
    const session = await learner('5');
    const [english, chinese] = [await asked(session), await asked(session, 'zh')];
    expect(chinese.map((q) => q.key)).toEqual(english.map((q) => q.key)); // the same questions
    expect(chinese.map((q) => q.prompt)).toEqual(['托盘应放在哪里？', '通道必须保持怎样？']);
    expect(chinese[0]!.choices!.map((c) => c.text)).toEqual(['通道里', '黄线后面']);
    expect(
      await answer(session, {
        question: chinese[0]!.key,
        attempt: 1,
        answer: { choice: 'c1' },
        language: 'zh',
      }),
    ).toMatchObject({ correct: false, feedback: '通道必须保持畅通。' });
    // Typed in English while watching in Chinese: right in either language.
    expect(
      await answer(session, {
        question: chinese[1]!.key,
        attempt: 1,
        answer: { text: 'Clear.' },
        language: 'zh',
      }),
    ).toMatchObject({ correct: true });
  });

  it("keep learners' answers through an edit of the script that left them as they were", async () => {
    const session = await learner('6');
    const [first] = await asked(session);
    expect(
      await answer(session, { question: first!.key, attempt: 1, answer: { choice: 'c2' } }),
    ).toMatchObject({
      correct: true,
      feedback: 'Yes, behind the line.',
    });
    const edited = ENGLISH.replace(
      'Keep the aisles clear at all times.',
      'Keep the aisles clear at all times. Nothing may stand in them, not even for a minute, not even a small box.',
    );
    const next = await render({
      lessonId,
      title: 'Aisles and doors',
      narration: { script: edited, language: 'en', voice: 'espeak-ng/en-us' },
    });
    const res = await studio.fetch(`/api/lessons/${lessonId}/published`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ renderId: next.id, title: 'Aisles and doors' }),
    });
    expect(res.status).toBe(200);
    const after = await asked(session);
    expect(after[0]).toMatchObject({ key: first!.key, done: true });
    expect(after[0]!.at).not.toBe(first!.at); // moved with the new voice, still the same question
  });
});
