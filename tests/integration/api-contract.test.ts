import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { LtiSessions } from '../../lti-tool/src/lti/lti-sessions.js';
import { openApiPath } from '../../lti-tool/src/api/api-description.js';
import { createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';
import { PORTRAIT } from '../helpers/paths.js';
import { makeSpeech, scratchDir } from '../helpers/speech.js';

/**
 * The OpenAPI document against the routes it describes: every /api route Express answers is in the
 * document (and nothing else is), and every status the document promises for an operation is produced
 * here, its body checked against the documented schema by a JSON Schema validator reading the
 * document itself (what a client generator reads), not the zod schemas it was made from.
 */
interface OpenApiOperation {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
  security?: unknown[];
}
interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: Record<string, unknown>;
}

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let tool: RunningTool;
let apiKey: string;
let doc: OpenApiDoc;
let instructor: string;
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);

/** Seeded in the tenant: a lesson of course 101 with finished renders spoken in en and zh, one silent. */
const seed = {
  lessonId: randomUUID(),
  en: randomUUID(),
  zh: randomUUID(),
  plain: randomUUID(),
};

beforeAll(async () => {
  db = await createTestDatabase();
  tool = await startTestTool(await toolConfig({ VT_DATABASE_URL: db.url, VT_MAX_UPLOAD_MB: '1' }));
  const tenantId = `tenant-${randomBytes(3).toString('hex')}`;
  await tool.tenants.ensureTenant(tenantId, tenantId);
  apiKey = (await tool.tenants.createApiKey(tenantId, 'contract')).secret;
  doc = (await (await fetch(`${tool.url}/api/openapi.json`)).json()) as OpenApiDoc;
  await tool.db.query(
    `INSERT INTO lti_platforms (id, issuer, client_id, name, registered_via, keyset_url)
     VALUES ('p-contract', 'https://lms.example', 'c1', 'LMS', 'manual', 'https://lms.example/keys')`,
  );
  instructor = await new LtiSessions(tool.db).create({
    tenantId,
    platformId: 'p-contract',
    deploymentId: 'd1',
    contextId: '101',
    userId: 'teacher',
    role: 'instructor',
    messageType: 'LtiResourceLinkRequest',
    launch: { issuer: 'https://lms.example', clientId: 'c1' },
  });
  await tool.db.query(
    `INSERT INTO lessons (id, tenant_id, context_id, title) VALUES ($1, $2, '101', 'Safety')`,
    [seed.lessonId, tenantId],
  );
  const [portrait, audio] = ['a'.repeat(64), 'b'.repeat(64)];
  await tool.db.query(
    `INSERT INTO assets (tenant_id, sha256, kind, content_type, bytes)
     VALUES ($1, $2, 'portrait', 'image/png', 1), ($1, $3, 'audio', 'audio/wav', 1)`,
    [tenantId, portrait, audio],
  );
  for (const [renderId, language] of [
    [seed.en, 'en'],
    [seed.zh, 'zh'],
    [seed.plain, undefined],
  ] as const) {
    const versionId = randomUUID();
    const narration = language && {
      source: 'script',
      script: 'Hello.',
      language,
      voice: 'v',
      captions: 'c'.repeat(64),
      chapterList: [],
      durationSec: 1,
    };
    await tool.db.query(
      `INSERT INTO lesson_versions (id, lesson_id, tenant_id, portrait_sha256, audio_sha256, engine, settings, narration)
       VALUES ($1, $2, $3, $4, $5, 'preview', $6, $7)`,
      [
        versionId,
        seed.lessonId,
        tenantId,
        portrait,
        audio,
        { prompt: '', size: '688*368', fps: 25, sampleSteps: 4, chunkSec: 60 },
        narration ?? null,
      ],
    );
    await tool.db.query(
      `INSERT INTO renders (id, tenant_id, lesson_id, version_id, engine, state, result, finished_at)
       VALUES ($1, $2, $3, $4, 'preview', 'done', $5, now())`,
      [renderId, tenantId, seed.lessonId, versionId, { durationSec: 1, files: [] }],
    );
  }
}, 60_000);

afterAll(async () => {
  await tool?.close();
  await db?.drop();
});

/** One request and what it answered. */
interface Answer {
  readonly status: number;
  readonly type: string;
  readonly body: unknown;
}
const call = async (
  path: string,
  init: RequestInit & { as?: 'api-key' | 'instructor' | 'anonymous'; json?: unknown } = {},
): Promise<Answer> => {
  const { as = 'api-key', json, ...rest } = init;
  const headers: Record<string, string> = json === undefined ? {} : { 'content-type': 'application/json' };
  const auth: Record<string, string> =
    as === 'anonymous' ? {} : { authorization: `Bearer ${as === 'instructor' ? instructor : apiKey}` };
  const res = await fetch(`${tool.url}${path}`, {
    ...rest,
    headers: { ...headers, ...auth },
    ...(json !== undefined && { body: JSON.stringify(json) }),
  });
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!;
  const text = type.startsWith('image/') || type.startsWith('audio/') ? '' : await res.text();
  const body = type.endsWith('json') ? JSON.parse(text) : text;
  return { status: res.status, type, body };
};
const upload = (kind: string, bytes: Buffer, name: string): Promise<Answer> => {
  const form = new FormData();
  form.set('kind', kind);
  form.set('file', new Blob([bytes]), name);
  return call('/api/assets', { method: 'POST', body: form });
};

/** The operations as "METHOD /path/{param}", and each one's documented statuses. */
const documented = (): Map<string, string[]> =>
  new Map(
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => [
        `${method.toUpperCase()} ${path}`,
        Object.keys(op.responses).sort(),
      ]),
    ),
  );

const produced = new Map<string, Set<string>>();
/** Checks an answer against its operation's documented response and counts its status as produced. */
function expectDocumented(operation: string, a: Answer): void {
  const [method, path] = operation.split(' ') as [string, string];
  const op = doc.paths[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`${operation} is not documented`);
  const response = op.responses[String(a.status)];
  if (!response)
    throw new Error(`${operation} answered ${a.status}, undocumented: ${JSON.stringify(a.body)}`);
  if (response.content) {
    const media = Object.keys(response.content).find((m) =>
      m.endsWith('/*') ? a.type.startsWith(m.slice(0, -1)) : m === a.type,
    );
    if (!media)
      throw new Error(
        `${operation} ${a.status} answered ${a.type}, documented: ${Object.keys(response.content)}`,
      );
    if (media.endsWith('json')) {
      const validate = ajv.compile({ ...response.content[media]!.schema, components: doc.components });
      if (!validate(a.body))
        throw new Error(
          `${operation} ${a.status} does not match its schema: ${ajv.errorsText(validate.errors)}`,
        );
    }
  }
  produced.set(operation, (produced.get(operation) ?? new Set()).add(String(a.status)));
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and lists exactly the /api routes Express answers', () => {
    expect(doc.openapi).toBe('3.1.0');
    const routes = tool.routes
      .filter((r) => r.path.startsWith('/api/'))
      .map((r) => `${r.method} ${openApiPath(r.path)}`)
      .sort();
    expect([...documented().keys()].sort()).toEqual(routes);
  });

  it('every documented status is produced, with the documented body', async () => {
    const op = expectDocumented;
    // Anyone may read the document.
    op('GET /api/openapi.json', await call('/api/openapi.json', { as: 'anonymous' }));
    // Without a key, every other operation is refused alike.
    for (const [operation, statuses] of documented())
      if (statuses.includes('401')) {
        const [method, path] = operation.split(' ') as [string, string];
        op(operation, await call(path.replace(/\{\w+\}/g, 'x'), { method, as: 'anonymous' }));
      }

    // Assets.
    const dir = scratchDir();
    const portrait = await upload('portrait', readFileSync(PORTRAIT), 'me.png');
    op('POST /api/assets', portrait);
    const speech = await makeSpeech([{ say: 'Hello there.' }], dir);
    const audio = await upload('audio', readFileSync(speech.path), 'hi.wav');
    op('POST /api/assets', audio);
    op('POST /api/assets', await upload('video', Buffer.from('x'), 'x.txt'));
    op('POST /api/assets', await upload('portrait', Buffer.from('just text, not an image'), 'x.png'));
    op('POST /api/assets', await upload('portrait', randomBytes(1_200_000), 'big.png'));
    // A PNG whose header claims a picture far larger than any portrait.
    const huge = join(dir, 'huge.png');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=gray:s=9000x9000',
      '-frames:v',
      '1',
      huge,
    ]);
    op('POST /api/assets', await upload('portrait', readFileSync(huge), 'h.png'));
    const sha = (portrait.body as { sha256: string }).sha256;
    op('GET /api/assets/{sha}', await call(`/api/assets/${sha}`));
    op('GET /api/assets/{sha}', await call(`/api/assets/${'e'.repeat(64)}`));
    op('GET /api/assets/{sha}', await call('/api/assets/not-a-sha'));

    // The face in a portrait; a grey square has none.
    op('GET /api/studio/faces/{sha}', await call(`/api/studio/faces/${sha}`));
    const grey = join(dir, 'grey.png');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=gray:s=256x256',
      '-frames:v',
      '1',
      grey,
    ]);
    const greySha = (
      (await upload('portrait', readFileSync(grey), 'g.png')).body as {
        sha256: string;
      }
    ).sha256;
    op('GET /api/studio/faces/{sha}', await call(`/api/studio/faces/${greySha}`));
    op('GET /api/studio/faces/{sha}', await call(`/api/studio/faces/${'e'.repeat(64)}`));
    op('GET /api/studio/faces/{sha}', await call('/api/studio/faces/nope'));

    // Speech.
    op('GET /api/speech/voices', await call('/api/speech/voices'));
    const voice = (
      (await call('/api/speech/voices')).body as { voices: { id: string; language: string }[] }
    ).voices.find((v) => v.language === 'en')!.id;
    op(
      'POST /api/speech/preview',
      await call('/api/speech/preview', {
        method: 'POST',
        json: { script: 'Hi there.', language: 'en', voice },
      }),
    );
    op(
      'POST /api/speech/preview',
      await call('/api/speech/preview', { method: 'POST', json: { script: 'Hi.' } }),
    );
    op(
      'POST /api/speech/preview',
      await call('/api/speech/preview', { method: 'POST', json: { script: ' ', language: 'en', voice } }),
    );

    // Renders.
    const audioSha = (audio.body as { sha256: string }).sha256;
    const submitted = await call('/api/renders', {
      method: 'POST',
      json: { portrait: sha, audio: audioSha },
    });
    op('POST /api/renders', submitted);
    op('POST /api/renders', await call('/api/renders', { method: 'POST', json: { portrait: sha } }));
    op(
      'POST /api/renders',
      await call('/api/renders', { method: 'POST', json: { portrait: sha, audio: 'f'.repeat(64) } }),
    );
    const renderId = (submitted.body as { id: string }).id;
    op('GET /api/renders/{id}', await call(`/api/renders/${renderId}`));
    op('GET /api/renders/{id}', await call(`/api/renders/${randomUUID()}`));
    op('GET /api/renders/{id}', await call('/api/renders/bad%20id!'));
    op('GET /api/renders/{id}/events', await call(`/api/renders/${seed.en}/events`));
    op('GET /api/renders/{id}/events', await call(`/api/renders/${randomUUID()}/events`));
    op('GET /api/renders/{id}/events', await call('/api/renders/bad%20id!/events'));
    op('POST /api/renders/{id}/cancel', await call(`/api/renders/${renderId}/cancel`, { method: 'POST' }));
    op('POST /api/renders/{id}/cancel', await call(`/api/renders/${seed.en}/cancel`, { method: 'POST' }));
    op(
      'POST /api/renders/{id}/cancel',
      await call(`/api/renders/${randomUUID()}/cancel`, { method: 'POST' }),
    );
    op('POST /api/renders/{id}/cancel', await call('/api/renders/bad%20id!/cancel', { method: 'POST' }));

    // Publishing, from the course's launch.
    const published = `/api/lessons/${seed.lessonId}/published`;
    const languages = `/api/lessons/${seed.lessonId}/languages`;
    const asInstructor = { as: 'instructor' as const, method: 'POST' };
    op(
      'POST /api/lessons/{id}/languages',
      await call(languages, { ...asInstructor, json: { renderId: seed.zh } }),
    );
    op(
      'POST /api/lessons/{id}/published',
      await call(published, { ...asInstructor, json: { renderId: seed.en, title: 'Safety' } }),
    );
    op(
      'POST /api/lessons/{id}/published',
      await call(published, { method: 'POST', json: { renderId: seed.en, title: 'Safety' } }),
    );
    op(
      'POST /api/lessons/{id}/published',
      await call(published, { ...asInstructor, json: { renderId: randomUUID(), title: 'Safety' } }),
    );
    op(
      'POST /api/lessons/{id}/published',
      await call(published, { ...asInstructor, json: { title: 'Safety' } }),
    );
    op(
      'POST /api/lessons/{id}/languages',
      await call(languages, { ...asInstructor, json: { renderId: seed.zh } }),
    );
    op(
      'POST /api/lessons/{id}/languages',
      await call(languages, { ...asInstructor, json: { renderId: seed.en } }),
    );
    op(
      'POST /api/lessons/{id}/languages',
      await call(languages, { ...asInstructor, json: { renderId: seed.plain } }),
    );
    op(
      'POST /api/lessons/{id}/languages',
      await call(languages, { ...asInstructor, json: { renderId: randomUUID() } }),
    );
    op('POST /api/lessons/{id}/languages', await call(languages, { ...asInstructor, json: {} }));
    op(
      'POST /api/lessons/{id}/languages',
      await call(languages, { method: 'POST', json: { renderId: seed.zh } }),
    );
    op('GET /api/lessons/{id}/languages', await call(languages, { as: 'instructor' }));
    op('GET /api/lessons/{id}/languages', await call(languages));
    op(
      'GET /api/lessons/{id}/languages',
      await call(`/api/lessons/${randomUUID()}/languages`, { as: 'instructor' }),
    );
    op(
      'GET /api/lessons/{id}/languages',
      await call('/api/lessons/bad%20id!/languages', { as: 'instructor' }),
    );
    const zh = `${languages}/zh`;
    op(
      'DELETE /api/lessons/{id}/languages/{language}',
      await call(zh, { as: 'instructor', method: 'DELETE' }),
    );
    op(
      'DELETE /api/lessons/{id}/languages/{language}',
      await call(zh, { as: 'instructor', method: 'DELETE' }),
    );
    op('DELETE /api/lessons/{id}/languages/{language}', await call(zh, { method: 'DELETE' }));
    op(
      'DELETE /api/lessons/{id}/languages/{language}',
      await call(`${languages}/Not_A_Tag`, { as: 'instructor', method: 'DELETE' }),
    );

    // Questions.
    const questions = `/api/lessons/${seed.lessonId}/questions`;
    const set = {
      questions: [{ kind: 'truefalse', at: 1, prompt: 'Helmets are optional.', answer: false }],
    };
    op('PUT /api/lessons/{id}/questions', await call(questions, { method: 'PUT', json: set }));
    op(
      'PUT /api/lessons/{id}/questions',
      await call(questions, { method: 'PUT', json: { questions: [{ kind: 'essay' }] } }),
    );
    op(
      'PUT /api/lessons/{id}/questions',
      await call(`/api/lessons/${randomUUID()}/questions`, { method: 'PUT', json: set }),
    );
    op('GET /api/lessons/{id}/questions', await call(questions));
    op('GET /api/lessons/{id}/questions', await call(`/api/lessons/${randomUUID()}/questions`));
    op('GET /api/lessons/{id}/questions', await call('/api/lessons/bad%20id!/questions'));

    const want = Object.fromEntries([...documented()].map(([k, v]) => [k, v]));
    const got = Object.fromEntries(
      [...documented().keys()].map((k) => [k, [...(produced.get(k) ?? [])].sort()]),
    );
    expect(got).toEqual(want);
  }, 120_000);
});
