import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { ToolConfig } from '../../lti-tool/src/config.js';
import type { NarrationRecord } from '../../lti-tool/src/narration/narration-service.js';
import type { RunningTool } from '../../lti-tool/src/server.js';
import type { ApiClient } from '../helpers/farm.js';
import { createTestDatabase, startTestTool, tenantClient, toolConfig } from '../helpers/farm.js';
import { CloudTtsSimulator } from '../helpers/cloud-tts-simulator.js';
import { PORTRAIT } from '../helpers/paths.js';
import { makeSpeech } from '../helpers/speech.js';

/**
 * Lessons from scripts through the tool's API on real PostgreSQL, with eSpeak NG and the cloud engine
 * against the CLOUD TTS SIMULATOR: a spoken version keeps its script, captions and chapters; bad
 * scripts, voices and a failing speech service get clear answers and leave nothing half-made.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: pg.Client;
let tool: RunningTool;
let tts: CloudTtsSimulator;
let alice: ApiClient;
let bob: ApiClient;
let portrait: string;
let config: ToolConfig;

beforeAll(async () => {
  db = await createTestDatabase();
  tts = await new CloudTtsSimulator().start();
  config = await toolConfig({
    VT_DATABASE_URL: db.url,
    VT_SCRIPT_MAX_CHARS: '2000',
    VT_TTS_CLOUD_URL: tts.url,
    VT_TTS_CLOUD_KEY: tts.key,
  });
  tool = await startTestTool(config);
  alice = await tenantClient(tool, 'alice-corp');
  bob = await tenantClient(tool, 'bob-corp');
  portrait = (await alice.upload('portrait', PORTRAIT)).sha256;
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
});

afterAll(async () => {
  await sql?.end();
  await tool?.close();
  await tts?.close();
  await db?.drop();
});

const post = (client: ApiClient, path: string, body: unknown): Promise<Response> =>
  client.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const counts = async (): Promise<Record<string, number>> => {
  const { rows } = await sql.query<{ lessons: string; versions: string; renders: string }>(
    `SELECT (SELECT count(*) FROM lessons) AS lessons, (SELECT count(*) FROM lesson_versions) AS versions,
            (SELECT count(*) FROM renders) AS renders`,
  );
  return Object.fromEntries(Object.entries(rows[0]!).map(([k, v]) => [k, Number(v)]));
};
/** A WebVTT time stamp in seconds. */
const seconds = (stamp: string): number => stamp.split(':').reduce((t, part) => t * 60 + Number(part), 0);
const script = '# Welcome\n\nThis is the first lesson. It is short.\n\n# Next\n\nThe end.';

it('offers the offline voices and the cloud ones, in both languages', async () => {
  const { voices, maxScriptChars } = (await (await alice.fetch('/api/speech/voices')).json()) as {
    voices: { id: string; language: string }[];
    maxScriptChars: number;
  };
  expect(maxScriptChars).toBe(2000);
  const ids = voices.map((v) => v.id);
  expect(ids).toEqual(
    expect.arrayContaining(['espeak-ng/en-us', 'espeak-ng/cmn', 'cloud/zh-CN-XiaoxiaoNeural']),
  );
  expect(new Set(voices.map((v) => v.language))).toEqual(new Set(['en', 'zh']));
});

it('previews a script, and renders a version that keeps its script, captions and chapters', async () => {
  const res = await post(alice, '/api/speech/preview', { script, language: 'en', voice: 'espeak-ng/en-us' });
  expect(res.status).toBe(200);
  const preview = (await res.json()) as {
    audio: string;
    sentences: number;
    synthesized: number;
    chapters: unknown[];
  };
  expect(preview).toMatchObject({ sentences: 5, synthesized: 5 });
  expect(preview.chapters).toHaveLength(2);
  const wav = await alice.fetch(`/api/assets/${preview.audio}`);
  expect(wav.headers.get('content-type')).toBe('audio/wav');
  expect(Buffer.from(await wav.arrayBuffer()).toString('ascii', 0, 4)).toBe('RIFF');
  // Another tenant cannot fetch it.
  expect((await bob.fetch(`/api/assets/${preview.audio}`)).status).toBe(404);

  const render = await alice.submit({
    title: 'Spoken',
    portrait,
    narration: { script, language: 'en', voice: 'espeak-ng/en-us' },
    size: '384*256',
  });
  const { rows } = await sql.query<{ audio_sha256: string; narration: Record<string, unknown> }>(
    'SELECT audio_sha256, narration FROM lesson_versions WHERE id = $1',
    [render.versionId],
  );
  // The previewed speech was cached: the same audio, nothing spoken again.
  expect(rows[0]!.audio_sha256).toBe(preview.audio);
  expect(rows[0]!.narration).toMatchObject({ script, language: 'en', voice: 'espeak-ng/en-us' });
  expect(rows[0]!.narration.chapterList).toEqual([
    { title: 'Welcome', start: expect.any(Number) },
    { title: 'Next', start: expect.any(Number) },
  ]);
});

it('refuses bad scripts and voices with reasons, and makes nothing', async () => {
  const before = await counts();
  const submit = (
    narration: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): Promise<Response> =>
    post(alice, '/api/renders', { title: 'Bad', portrait, narration, size: '384*256', ...extra });
  const cases: [Record<string, unknown>, number, string][] = [
    [{ script: '   ', language: 'en', voice: 'espeak-ng/en-us' }, 422, 'empty'],
    [{ script: '<script>alert(1)</script>', language: 'en', voice: 'espeak-ng/en-us' }, 422, 'empty'],
    [{ script: 'Long. '.repeat(400), language: 'en', voice: 'espeak-ng/en-us' }, 422, 'too-long'],
    [{ script, language: 'en', voice: 'espeak-ng/klingon' }, 422, 'speech'],
    [{ script, language: 'en', voice: 'espeak-ng/cmn' }, 422, 'speech'],
  ];
  for (const [narration, status, problem] of cases) {
    const res = await submit(narration);
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ problem });
  }
  expect((await submit({ script, language: 'fr', voice: 'espeak-ng/en-us' })).status).toBe(400);
  const both = await submit({ script, language: 'en', voice: 'espeak-ng/en-us' }, { audio: 'a'.repeat(64) });
  expect(both.status).toBe(400);
  expect(JSON.stringify(await both.json())).toMatch(/either an audio asset or a script/);
  expect(await counts()).toEqual(before);
});

it('a speech service that fails answers 503 and leaves nothing; once it recovers the render goes ahead', async () => {
  const before = await counts();
  tts.failNext = 100;
  const narration = {
    script: 'Spoken by the cloud. Twice over.',
    language: 'en',
    voice: 'cloud/en-US-GuyNeural',
  };
  const res = await post(alice, '/api/renders', { title: 'Cloudy', portrait, narration, size: '384*256' });
  expect(res.status).toBe(503);
  expect(await res.json()).toMatchObject({ problem: 'speech-unavailable' });
  expect(await counts()).toEqual(before);
  tts.failNext = 0;
  const render = await alice.submit({ title: 'Cloudy', portrait, narration, size: '384*256' });
  expect(render.state).toMatch(/submitted|queued/);
  expect(await counts()).toEqual({
    lessons: before.lessons! + 1,
    versions: before.versions! + 1,
    renders: before.renders! + 1,
  });
});

it('a recording with its transcript gets captions timed to its speech and chapters from the headings', async () => {
  const speech = await makeSpeech([
    { silence: 0.5 },
    { say: 'Lift with your legs.' },
    { silence: 0.8 },
    { say: 'Keep the load close to your body.' },
    { silence: 1.2 },
    { say: 'Ask for help.' },
    { silence: 0.4 },
  ]);
  const audio = (await alice.upload('audio', speech.path)).sha256;
  const transcript = {
    text: '# Lifting\n\nLift with your legs. Keep the load close to your body.\n\n# Help\n\nAsk for help.',
    language: 'en',
  };
  const render = await alice.submit({ title: 'Recorded', portrait, audio, transcript, size: '384*256' });
  const { rows } = await sql.query<{ audio_sha256: string; narration: NarrationRecord }>(
    'SELECT audio_sha256, narration FROM lesson_versions WHERE id = $1',
    [render.versionId],
  );
  expect(rows[0]!.audio_sha256).toBe(audio);
  const n = rows[0]!.narration;
  expect(n).toMatchObject({ source: 'transcript', script: transcript.text, language: 'en' });
  expect(n.voice).toBeUndefined();
  const says = speech.parts.filter((p) => 'say' in p);
  expect(n.chapterList.map((c) => c.title)).toEqual(['Lifting', 'Help']);
  expect(Math.abs(n.chapterList[1]!.start - says[2]!.start)).toBeLessThan(0.3);
  const vtt = readFileSync(
    join(config.VT_MEDIA_DIR, 'objects', n.captions.slice(0, 2), n.captions.slice(2, 4), n.captions),
    'utf8',
  );
  const cues = [...vtt.matchAll(/(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n(.+)/g)].map((m) => ({
    start: seconds(m[1]!),
    text: m[3],
  }));
  expect(cues.map((c) => c.text)).toEqual([
    'Lift with your legs.',
    'Keep the load close to your body.',
    'Ask for help.',
  ]);
  cues.forEach((c, i) => expect(Math.abs(c.start - says[i]!.start)).toBeLessThan(0.3));
});

it('refuses a transcript without a recording, one with nothing said, and a recording without speech; makes nothing', async () => {
  const before = await counts();
  const silent = (await alice.upload('audio', (await makeSpeech([{ silence: 2 }])).path)).sha256;
  const submit = (body: Record<string, unknown>): Promise<Response> =>
    post(alice, '/api/renders', { title: 'Bad', portrait, size: '384*256', ...body });
  const withScript = await submit({
    narration: { script, language: 'en', voice: 'espeak-ng/en-us' },
    transcript: { text: script, language: 'en' },
  });
  expect(withScript.status).toBe(400);
  expect(JSON.stringify(await withScript.json())).toMatch(/a transcript goes with a recording/);
  const empty = await submit({ audio: silent, transcript: { text: '# Only a heading', language: 'en' } });
  expect(empty.status).toBe(422);
  expect(await empty.json()).toMatchObject({ problem: 'empty' });
  const noSpeech = await submit({ audio: silent, transcript: { text: 'Hello there.', language: 'en' } });
  expect(noSpeech.status).toBe(422);
  expect(await noSpeech.json()).toMatchObject({ problem: 'no-speech' });
  // Another tenant's recording is not found, as without a transcript.
  const foreign = await post(bob, '/api/renders', {
    title: 'Bad',
    portrait: (await bob.upload('portrait', PORTRAIT)).sha256,
    audio: silent,
    transcript: { text: 'Hello there.', language: 'en' },
    size: '384*256',
  });
  expect(foreign.status).toBe(422);
  expect(await foreign.json()).toMatchObject({ error: expect.stringMatching(/No audio asset/) });
  expect(await counts()).toEqual(before);
});
