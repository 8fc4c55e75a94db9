import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@hey-api/openapi-ts';
import type { RunningTool } from '../../lti-tool/src/server.js';
import {
  createTestDatabase,
  startNode,
  startTestTool,
  stopNode,
  toolConfig,
  type TestNode,
} from '../helpers/farm.js';
import { PORTRAIT, REPO } from '../helpers/paths.js';
import { makeSpeech, scratchDir } from '../helpers/speech.js';
import { until } from '../helpers/until.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * What an HR developer does with the tool, and nothing of ours in between: reads /api/openapi.json,
 * generates a TypeScript client from it (@hey-api/openapi-ts, a generator of the ecosystem), writes
 * a program against that client, which the compiler checks against the generated types, registers a
 * webhook, uploads a portrait and a recording, submits a render, and receives a signed render.done.
 */
const run = promisify(execFile);
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let tool: RunningTool;
let node: TestNode;
let apiKey: string;
let hr: WebhookReceiver;

beforeAll(async () => {
  db = await createTestDatabase();
  const config = await toolConfig({ VT_DATABASE_URL: db.url });
  tool = await startTestTool(config);
  node = await startNode('api-client', { VT_QUEUE_PREFIX: config.VT_QUEUE_PREFIX });
  await tool.tenants.ensureTenant('hr-co', 'HR Co');
  apiKey = (await tool.tenants.createApiKey('hr-co', 'HR system')).secret;
  hr = await new WebhookReceiver().start();
}, 60_000);

afterAll(async () => {
  await hr?.close();
  if (node) await stopNode(node);
  await tool?.close();
  await db?.drop();
});

/** The HR developer's program, as they would write it against the generated client. */
const PROGRAM = `
import { readFileSync } from 'node:fs';
import { client } from './client/client.gen.js';
import { createWebhookEndpoint, submitRender, uploadAsset } from './client/sdk.gen.js';

const [baseUrl, key, hook, portraitFile, audioFile] = process.argv.slice(2) as [string, string, string, string, string];
client.setConfig({ baseUrl, auth: () => key });

const endpoint = await createWebhookEndpoint({ body: { url: hook, eventTypes: ['render.done', 'render.failed'] }, throwOnError: true });
const upload = async (kind: 'portrait' | 'audio', file: string) =>
  (await uploadAsset({ body: { kind, file: new Blob([readFileSync(file)]) }, throwOnError: true })).data;
const portrait = await upload('portrait', portraitFile);
const audio = await upload('audio', audioFile);
const render = await submitRender({
  body: { title: 'Payroll basics', portrait: portrait.sha256, audio: audio.sha256, size: '384*256' },
  throwOnError: true,
});
const state: 'submitted' | 'queued' | 'active' | 'done' | 'failed' | 'cancelled' = render.data.state;
console.log(JSON.stringify({ secret: endpoint.data.secret, renderId: render.data.id, state, audio: audio.sha256 }));
`;

it('generates a client from /api/openapi.json, creates a render with it, and receives a signed render.done (and render.failed for one that cannot be made)', async () => {
  const dir = scratchDir('vt-hr-');
  const spec = join(dir, 'openapi.json');
  writeFileSync(spec, await (await fetch(`${tool.url}/api/openapi.json`)).text());
  await createClient({ input: spec, output: join(dir, 'client'), logs: { level: 'silent' } });
  writeFileSync(join(dir, 'hr.ts'), PROGRAM);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));

  // The compiler holds the program to the generated types (a field the API does not have fails).
  await run(
    process.execPath,
    [
      join(REPO, 'node_modules/typescript/bin/tsc'),
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--target',
      'es2022',
      '--module',
      'nodenext',
      '--types',
      'node',
      '--typeRoots',
      join(REPO, 'node_modules/@types'),
      join(dir, 'hr.ts'),
    ],
    { cwd: dir },
  );

  const speech = await makeSpeech([{ say: 'Payroll closes on the twenty-fifth.' }]);
  const { stdout } = await run(
    process.execPath,
    [
      join(REPO, 'node_modules/tsx/dist/cli.mjs'),
      join(dir, 'hr.ts'),
      tool.url,
      apiKey,
      hr.url,
      PORTRAIT,
      speech.path,
    ],
    { cwd: dir },
  );
  const made = JSON.parse(stdout.trim().split('\n').pop()!) as {
    secret: string;
    renderId: string;
    state: string;
    audio: string;
  };
  // Queued, or already taken by the node (a quick one takes it before the answer is written).
  expect(['queued', 'active']).toContain(made.state);
  hr.secret = made.secret;
  await until('render.done', () => hr.delivered('render.done').length > 0, 120_000);
  const done = hr.delivered('render.done')[0]!;
  expect(done.verified).toBe(true);
  expect(done.json.data).toMatchObject({ renderId: made.renderId, engine: 'preview' });

  // A render that fails for good is announced too: a wall has no face to animate.
  const wall = join(dir, 'wall.png');
  await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=gray:s=320x240', '-frames:v', '1', wall]);
  const form = new FormData();
  form.set('kind', 'portrait');
  form.set('file', new Blob([readFileSync(wall)]), 'wall.png');
  const auth = { authorization: `Bearer ${apiKey}` };
  const uploaded = await fetch(`${tool.url}/api/assets`, { method: 'POST', headers: auth, body: form });
  const portrait = (await uploaded.json()) as { sha256: string };
  const failing = (await (
    await fetch(`${tool.url}/api/renders`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ portrait: portrait.sha256, audio: made.audio, size: '384*256' }),
    })
  ).json()) as { id: string };
  await until('render.failed', () => hr.delivered('render.failed').length > 0, 120_000);
  const failed = hr.delivered('render.failed')[0]!;
  expect(failed.verified).toBe(true);
  expect(failed.json.data).toMatchObject({ renderId: failing.id, engine: 'preview' });
  expect(String(failed.json.data.error)).toMatch(/NO_FACE/);
}, 180_000);
