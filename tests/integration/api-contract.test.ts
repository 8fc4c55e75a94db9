import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { openApiPath } from '../../lti-tool/src/api/api-description.js';
import { createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';
import { PORTRAIT } from '../helpers/paths.js';
import { seedCourse, type SeededCourse } from '../helpers/seeded-course.js';
import { makeSpeech, scratchDir } from '../helpers/speech.js';
import { until } from '../helpers/until.js';

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

let seed: SeededCourse;

beforeAll(async () => {
  db = await createTestDatabase();
  tool = await startTestTool(await toolConfig({ VT_DATABASE_URL: db.url, VT_MAX_UPLOAD_MB: '1' }));
  doc = (await (await fetch(`${tool.url}/api/openapi.json`)).json()) as OpenApiDoc;
  seed = await seedCourse(tool);
  apiKey = seed.apiKey;
  instructor = seed.instructor;
}, 60_000);

afterAll(async () => {
  await tool?.close();
  await db?.drop();
});

/** A grey PNG, `side` pixels square: no face in it, and at 9000 px larger than any portrait may be. */
const greySquare = (path: string, side: number): string => {
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `color=c=gray:s=${side}x${side}`,
    '-frames:v',
    '1',
    path,
  ]);
  return path;
};

/** One request and what it answered. */
interface Answer {
  readonly status: number;
  readonly type: string;
  readonly body: unknown;
  readonly location?: string;
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
  const binary = /^(image|audio)\/|\/zip$/.test(type);
  const text = binary ? '' : await res.text();
  const body = type.endsWith('json') ? JSON.parse(text) : text;
  return { status: res.status, type, body, location: res.headers.get('location') ?? undefined };
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
    const huge = greySquare(join(dir, 'huge.png'), 9000);
    op('POST /api/assets', await upload('portrait', readFileSync(huge), 'h.png'));
    const sha = (portrait.body as { sha256: string }).sha256;
    op('GET /api/assets/{sha}', await call(`/api/assets/${sha}`));
    op('GET /api/assets/{sha}', await call(`/api/assets/${'e'.repeat(64)}`));
    op('GET /api/assets/{sha}', await call('/api/assets/not-a-sha'));

    // The face in a portrait; a grey square has none.
    op('GET /api/studio/faces/{sha}', await call(`/api/studio/faces/${sha}`));
    const grey = greySquare(join(dir, 'grey.png'), 256);
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
    op('GET /api/renders/{id}/events', await call(`/api/renders/${seed.renders.en}/events`));
    op('GET /api/renders/{id}/events', await call(`/api/renders/${randomUUID()}/events`));
    op('GET /api/renders/{id}/events', await call('/api/renders/bad%20id!/events'));
    op('POST /api/renders/{id}/cancel', await call(`/api/renders/${renderId}/cancel`, { method: 'POST' }));
    op(
      'POST /api/renders/{id}/cancel',
      await call(`/api/renders/${seed.renders.en}/cancel`, { method: 'POST' }),
    );
    op(
      'POST /api/renders/{id}/cancel',
      await call(`/api/renders/${randomUUID()}/cancel`, { method: 'POST' }),
    );
    op('POST /api/renders/{id}/cancel', await call('/api/renders/bad%20id!/cancel', { method: 'POST' }));

    // Webhooks: the tenant's (an API key's), not a course's. A receiver on loopback takes anything.
    const receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const created = await call('/api/webhooks', {
      method: 'POST',
      json: { url: hook, eventTypes: ['lesson.published'] },
    });
    op('POST /api/webhooks', created);
    const endpoint = `/api/webhooks/${(created.body as { id: string }).id}`;
    op(
      'POST /api/webhooks',
      await call('/api/webhooks', { method: 'POST', json: { url: 'ftp://x', eventTypes: [] } }),
    );
    op(
      'POST /api/webhooks',
      await call('/api/webhooks', {
        method: 'POST',
        json: { url: 'http://169.254.169.254/', eventTypes: ['render.done'] },
      }),
    );
    op(
      'POST /api/webhooks',
      await call('/api/webhooks', {
        as: 'instructor',
        method: 'POST',
        json: { url: hook, eventTypes: ['render.done'] },
      }),
    );
    op('GET /api/webhooks', await call('/api/webhooks'));
    op('GET /api/webhooks', await call('/api/webhooks', { as: 'instructor' }));
    op('GET /api/webhooks/{id}', await call(endpoint));
    op('GET /api/webhooks/{id}', await call(endpoint, { as: 'instructor' }));
    op('GET /api/webhooks/{id}', await call(`/api/webhooks/${randomUUID()}`));
    op('GET /api/webhooks/{id}', await call('/api/webhooks/bad%20id!'));
    op(
      'PATCH /api/webhooks/{id}',
      await call(endpoint, { method: 'PATCH', json: { description: 'HR system' } }),
    );
    op('PATCH /api/webhooks/{id}', await call(endpoint, { method: 'PATCH', json: { secret: 'mine' } }));
    op(
      'PATCH /api/webhooks/{id}',
      await call(endpoint, { method: 'PATCH', json: { url: 'http://[fe80::1]/' } }),
    );
    op(
      'PATCH /api/webhooks/{id}',
      await call(endpoint, { as: 'instructor', method: 'PATCH', json: { enabled: false } }),
    );
    op(
      'PATCH /api/webhooks/{id}',
      await call(`/api/webhooks/${randomUUID()}`, { method: 'PATCH', json: { enabled: false } }),
    );

    // Erasing a learner: the tenant's key only.
    op('DELETE /api/learners/{userId}', await call('/api/learners/someone', { method: 'DELETE' }));
    op('DELETE /api/learners/{userId}', await call(`/api/learners/${'x'.repeat(300)}`, { method: 'DELETE' }));
    op(
      'DELETE /api/learners/{userId}',
      await call('/api/learners/someone', { method: 'DELETE', as: 'instructor' }),
    );

    // Publishing, from the course's launch.
    const published = `/api/lessons/${seed.lessonId}/published`;
    const languages = `/api/lessons/${seed.lessonId}/languages`;
    const asInstructor = { as: 'instructor' as const, method: 'POST' };
    op(
      'POST /api/lessons/{id}/languages',
      await call(languages, { ...asInstructor, json: { renderId: seed.renders.zh } }),
    );
    op(
      'POST /api/lessons/{id}/published',
      await call(published, { ...asInstructor, json: { renderId: seed.renders.en, title: 'Safety' } }),
    );
    op(
      'POST /api/lessons/{id}/published',
      await call(published, { method: 'POST', json: { renderId: seed.renders.en, title: 'Safety' } }),
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
      await call(languages, { ...asInstructor, json: { renderId: seed.renders.zh } }),
    );
    op(
      'POST /api/lessons/{id}/languages',
      await call(languages, { ...asInstructor, json: { renderId: seed.renders.en } }),
    );
    op(
      'POST /api/lessons/{id}/languages',
      await call(languages, { ...asInstructor, json: { renderId: seed.renders.plain } }),
    );
    op(
      'POST /api/lessons/{id}/languages',
      await call(languages, { ...asInstructor, json: { renderId: randomUUID() } }),
    );
    op('POST /api/lessons/{id}/languages', await call(languages, { ...asInstructor, json: {} }));
    op(
      'POST /api/lessons/{id}/languages',
      await call(languages, { method: 'POST', json: { renderId: seed.renders.zh } }),
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

    // The publication reached the receiver: its delivery is listed, and can be sent again.
    const deliveries = `${endpoint}/deliveries`;
    let delivered: { messageId: string; status: string }[] = [];
    await until('the lesson.published delivery', async () => {
      delivered = ((await call(deliveries)).body as { deliveries: typeof delivered }).deliveries;
      return delivered[0]?.status === 'delivered';
    });
    op('GET /api/webhooks/{id}/deliveries', await call(deliveries));
    op('GET /api/webhooks/{id}/deliveries', await call(deliveries, { as: 'instructor' }));
    op('GET /api/webhooks/{id}/deliveries', await call(`/api/webhooks/${randomUUID()}/deliveries`));
    op('GET /api/webhooks/{id}/deliveries', await call('/api/webhooks/bad%20id!/deliveries'));
    const resend = `${deliveries}/${delivered[0]!.messageId}/resend`;
    op('POST /api/webhooks/{id}/deliveries/{messageId}/resend', await call(resend, { method: 'POST' }));
    op(
      'POST /api/webhooks/{id}/deliveries/{messageId}/resend',
      await call(resend, { as: 'instructor', method: 'POST' }),
    );
    op(
      'POST /api/webhooks/{id}/deliveries/{messageId}/resend',
      await call(`${deliveries}/msg_nothing/resend`, { method: 'POST' }),
    );
    op(
      'POST /api/webhooks/{id}/deliveries/{messageId}/resend',
      await call(`${deliveries}/bad%20id!/resend`, { method: 'POST' }),
    );
    op('DELETE /api/webhooks/{id}', await call(endpoint, { as: 'instructor', method: 'DELETE' }));
    op('DELETE /api/webhooks/{id}', await call(endpoint, { method: 'DELETE' }));
    op('DELETE /api/webhooks/{id}', await call(endpoint, { method: 'DELETE' }));
    op('DELETE /api/webhooks/{id}', await call('/api/webhooks/bad%20id!', { method: 'DELETE' }));
    receiver.close();

    // Packages: a lesson not yet published has none; a published one exports, and is withdrawn.
    const packages = `/api/lessons/${seed.lessonId}/packages`;
    const exported = await call(packages, { method: 'POST', json: { format: 'scorm12' } });
    op('POST /api/lessons/{id}/packages', exported);
    op(
      'POST /api/lessons/{id}/packages',
      await call(packages, { method: 'POST', json: { format: 'scorm2004' } }),
    );
    op(
      'POST /api/lessons/{id}/packages',
      await call(`/api/lessons/${randomUUID()}/packages`, { method: 'POST', json: { format: 'cmi5' } }),
    );
    const unpublished = randomUUID();
    await tool.db.query(
      `INSERT INTO lessons (id, tenant_id, context_id, title) VALUES ($1, $2, '101', 'Draft')`,
      [unpublished, seed.tenantId],
    );
    op(
      'POST /api/lessons/{id}/packages',
      await call(`/api/lessons/${unpublished}/packages`, { method: 'POST', json: { format: 'cmi5' } }),
    );
    const pkg = `${packages}/${exported.location!.split('/').pop()}`;
    op('DELETE /api/lessons/{id}/packages/{packageId}', await call(pkg, { method: 'DELETE' }));
    op('DELETE /api/lessons/{id}/packages/{packageId}', await call(pkg, { method: 'DELETE' }));
    op(
      'DELETE /api/lessons/{id}/packages/{packageId}',
      await call(`${packages}/bad%20id!`, { method: 'DELETE' }),
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
