import pg from 'pg';
import { Redis } from 'ioredis';
import type { RunningTool } from '../../lti-tool/src/server.js';
import {
  createTestDatabase,
  REDIS_URL,
  startNode,
  startTestTool,
  stopNode,
  tenantClient,
  toolConfig,
  type ApiClient,
  type TestNode,
} from '../helpers/farm.js';
import { PORTRAIT } from '../helpers/paths.js';
import { ffprobe } from '../helpers/video.js';
import { scratchDir } from '../helpers/speech.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * An edited script re-renders only what changed: with a real render node, Redis, PostgreSQL, ffmpeg
 * and eSpeak NG, each paragraph is a part of the video keyed by its audio; the next version of the
 * lesson fetches the unchanged parts and renders only the edited paragraph's.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let tool: RunningTool;
let prefix: string;
let alice: ApiClient;
let bob: ApiClient;
let node: TestNode;
let sql: pg.Client;
const redis = new Redis(REDIS_URL);

beforeAll(async () => {
  db = await createTestDatabase();
  const config = await toolConfig({ VT_DATABASE_URL: db.url });
  prefix = config.VT_QUEUE_PREFIX;
  tool = await startTestTool(config);
  alice = await tenantClient(tool, 'alice-corp');
  bob = await tenantClient(tool, 'bob-corp');
  node = await startNode('parts-node', { VT_QUEUE_PREFIX: prefix });
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
});

afterAll(async () => {
  await stopNode(node);
  await sql?.end();
  await tool?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await db?.drop();
});

const paragraphs = [
  'Welcome. This lesson is about lifting.',
  'Bend your knees and keep your back straight.',
  'Hold the load close to your body.',
  'Ask for help with anything heavy.',
];
const script = (ps: readonly string[]): string => `# Lifting\n\n${ps.join('\n\n')}`;

/** The names of the parts a render uploaded (content-keyed), in name order. */
const partsOf = async (renderId: string): Promise<string[]> =>
  (
    await sql.query<{ name: string }>(
      "SELECT name FROM render_files WHERE render_id = $1 AND name LIKE 'chunks/%/part_%' ORDER BY name",
      [renderId],
    )
  ).rows.map((r) => r.name);

async function render(client: ApiClient, portrait: string, text: string, lessonId?: string) {
  const submitted = await client.submit({
    lessonId,
    title: 'Lifting',
    portrait,
    narration: { script: text, language: 'en', voice: 'espeak-ng/en-us' },
    size: '384*256',
  });
  const done = await client.waitFor(submitted.id, ['done', 'failed']);
  expect(done.state).toBe('done');
  return done;
}

it('renders each paragraph as a part; an edit re-renders only its paragraph, and the lesson plays whole', async () => {
  const portrait = (await alice.upload('portrait', PORTRAIT)).sha256;
  const first = await render(alice, portrait, script(paragraphs));
  // The heading and four paragraphs: five parts, all rendered.
  expect(first.notes).toContain('0 of 5 parts reused from earlier renders, 5 rendered');
  const firstParts = await partsOf(first.id);
  expect(firstParts).toHaveLength(5);

  const edited = [...paragraphs];
  edited[2] = 'Hold the load close to your body, and never twist while lifting.';
  const second = await render(alice, portrait, script(edited), first.lessonId);
  expect(second.notes).toContain('4 of 5 parts reused from earlier renders, 1 rendered');
  // It uploaded exactly one part, one the first render did not have.
  const secondParts = await partsOf(second.id);
  expect(secondParts).toHaveLength(1);
  expect(firstParts).not.toContain(secondParts[0]);

  // The joined lesson is whole: its video runs the length of its (longer) voice, without a gap.
  const dir = scratchDir();
  const mp4 = join(dir, 'second.mp4');
  writeFileSync(mp4, Buffer.from(await (await fetch(second.media!.mp4)).arrayBuffer()));
  const probe = await ffprobe(mp4, true);
  const video = probe.streams.find((st) => st.codec_type === 'video')!;
  const audio = probe.streams.find((st) => st.codec_type === 'audio')!;
  expect(second.media!.durationSec).toBeGreaterThan(first.media!.durationSec + 1);
  expect(Number(video.nb_read_frames)).toBe(Math.round(second.media!.durationSec * 25));
  expect(Math.abs(Number(audio.duration) - Number(video.duration))).toBeLessThan(0.15);

  // The same script, unchanged: nothing to render.
  const third = await render(alice, portrait, script(edited), first.lessonId);
  expect(third.notes).toContain('5 of 5 parts reused from earlier renders, 0 rendered');
});

it("another tenant's identical script reuses nothing of the first tenant's parts", async () => {
  const portrait = (await bob.upload('portrait', PORTRAIT)).sha256;
  const done = await render(bob, portrait, script(paragraphs));
  expect(done.notes).toContain('0 of 5 parts reused from earlier renders, 5 rendered');
});
