import { randomUUID } from 'node:crypto';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { adminSignIn } from '../helpers/admin.js';
import {
  createTestDatabase,
  startTestTool,
  tenantClient,
  toolConfig,
  type ApiClient,
} from '../helpers/farm.js';

/**
 * Every endpoint's refusals, from the app's own route table (web/route-table.ts): each route has its
 * negative cases here, and a route added without them fails this test. The API answers problem+json
 * with a stable code; pages answer with their problem page. Codes are matched, never sentences.
 */
const PASSWORD = 'correct horse battery staple';
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let tool: RunningTool;
let api: ApiClient;
let cookie: string;

beforeAll(async () => {
  db = await createTestDatabase();
  tool = await startTestTool(await toolConfig({ VT_DATABASE_URL: db.url }));
  api = await tenantClient(tool);
  await tool.adminUsers.set('ops', PASSWORD);
  cookie = await adminSignIn(tool.url, 'ops', PASSWORD);
});

afterAll(async () => {
  await tool?.close();
  await db?.drop();
});

const SHA = 'a'.repeat(64);
/** A value for each route parameter: well-formed, and naming nothing that exists (or malformed). */
const fill = (path: string, malformed = false): string =>
  malformed
    ? path.replace(/:\w+/g, 'bad%20id!')
    : path
        .replace(':sha', SHA)
        .replace(':language', 'fr')
        .replace(':exp', String(Math.floor(Date.now() / 1000) + 600))
        .replace(':sig', 'f'.repeat(64))
        .replace('*name', 'lesson.mp4')
        .replace(/:\w+/g, () => randomUUID());

interface Refusal {
  /** Who asks: nobody, a tenant's API key, a signed-in tool admin, or an admin's cookie from another site. */
  readonly as: 'anonymous' | 'api-key' | 'admin' | 'forged-admin';
  readonly body?: Record<string, unknown>;
  /** The URL's parameters malformed: refused at the door by the route's schema. */
  readonly malformed?: true;
  readonly status: number;
  /** The problem code (problem+json `code`, or the problem page's code). */
  readonly code: string;
}

/** A form page shown again with what to correct (role="alert"), not a problem page. */
const FORM = 'FORM';
const anonymousApi: Refusal = { as: 'anonymous', status: 401, code: 'UNAUTHENTICATED' };
const anonymousAdmin: Refusal = { as: 'anonymous', status: 401, code: 'UNAUTHENTICATED' };
const forgedAdmin: Refusal = { as: 'forged-admin', status: 403, code: 'CROSS_SITE' };
const badLink: Refusal = { as: 'anonymous', status: 403, code: 'BAD_SIGNATURE' };
const malformedApi: Refusal = { as: 'api-key', malformed: true, status: 400, code: 'INVALID_REQUEST' };
const malformedAdmin: Refusal = { as: 'admin', malformed: true, status: 400, code: 'INVALID_REQUEST' };

/** Each route's negative cases; `public` routes refuse nobody (health, metrics without a token). */
const CASES: Record<string, readonly Refusal[] | 'public'> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /metrics': 'public',
  'GET /lti/keys': 'public',
  'GET /api/openapi.json': 'public',
  'GET /admin/login': 'public',
  'GET /media/node/assets/:sha': [badLink],
  'PUT /media/node/renders/:id/:exp/:sig/*name': [badLink],
  'GET /media/node/renders/:id/:exp/:sig/*name': [badLink],
  'GET /media/renders/:id/:exp/:sig/*name': [badLink],
  'GET /media/posters/:id/:exp/:sig/poster.jpg': [badLink],
  'GET /media/answers/:id/:exp/:sig/answer.mp4': [badLink],
  'POST /api/assets': [anonymousApi, { as: 'api-key', status: 400, code: 'INVALID_REQUEST' }],
  'GET /api/assets/:sha': [anonymousApi, { as: 'api-key', status: 404, code: 'NOT_FOUND' }, malformedApi],
  'GET /api/speech/voices': [anonymousApi],
  'POST /api/speech/preview': [
    anonymousApi,
    { as: 'api-key', body: {}, status: 400, code: 'INVALID_REQUEST' },
  ],
  'POST /api/renders': [anonymousApi, { as: 'api-key', body: {}, status: 400, code: 'INVALID_REQUEST' }],
  'GET /api/renders/:id': [anonymousApi, { as: 'api-key', status: 404, code: 'NOT_FOUND' }, malformedApi],
  'POST /api/renders/:id/cancel': [
    anonymousApi,
    { as: 'api-key', status: 404, code: 'NOT_FOUND' },
    malformedApi,
  ],
  'GET /api/renders/:id/events': [
    anonymousApi,
    { as: 'api-key', status: 404, code: 'NOT_FOUND' },
    malformedApi,
  ],
  'GET /api/lessons/:id/languages': [
    anonymousApi,
    { as: 'api-key', status: 403, code: 'FORBIDDEN' },
    malformedApi,
  ],
  'POST /api/lessons/:id/languages': [
    anonymousApi,
    { as: 'api-key', body: {}, status: 400, code: 'INVALID_REQUEST' },
    { as: 'api-key', body: { renderId: randomUUID() }, status: 403, code: 'FORBIDDEN' },
    { ...malformedApi, body: { renderId: randomUUID() } },
  ],
  'DELETE /api/lessons/:id/languages/:language': [
    anonymousApi,
    { as: 'api-key', status: 403, code: 'FORBIDDEN' },
    malformedApi,
  ],
  'GET /api/studio/faces/:sha': [
    anonymousApi,
    { as: 'api-key', status: 404, code: 'NOT_FOUND' },
    malformedApi,
  ],
  'POST /api/lessons/:id/published': [
    anonymousApi,
    { as: 'api-key', body: {}, status: 400, code: 'INVALID_REQUEST' },
    { ...malformedApi, body: { renderId: randomUUID(), title: 'A lesson' } },
  ],
  'POST /api/lessons/:id/packages': [
    anonymousApi,
    { as: 'api-key', body: {}, status: 400, code: 'INVALID_REQUEST' },
    { as: 'api-key', body: { format: 'cmi5' }, status: 404, code: 'NOT_FOUND' },
    { ...malformedApi, body: { format: 'cmi5' } },
  ],
  'DELETE /api/lessons/:id/packages/:packageId': [
    anonymousApi,
    { as: 'api-key', status: 404, code: 'NOT_FOUND' },
    malformedApi,
  ],
  'DELETE /api/learners/:userId': [anonymousApi],
  'GET /api/webhooks': [anonymousApi],
  'POST /api/webhooks': [
    anonymousApi,
    { as: 'api-key', body: {}, status: 400, code: 'INVALID_REQUEST' },
    {
      as: 'api-key',
      body: { url: 'http://169.254.169.254/latest', eventTypes: ['render.done'] },
      status: 422,
      code: 'UNPROCESSABLE',
    },
  ],
  'GET /api/webhooks/:id': [anonymousApi, { as: 'api-key', status: 404, code: 'NOT_FOUND' }, malformedApi],
  'PATCH /api/webhooks/:id': [
    anonymousApi,
    { as: 'api-key', body: { enabled: 'yes' }, status: 400, code: 'INVALID_REQUEST' },
    { as: 'api-key', body: { enabled: false }, status: 404, code: 'NOT_FOUND' },
    { ...malformedApi, body: { enabled: false } },
  ],
  'DELETE /api/webhooks/:id': [anonymousApi, { as: 'api-key', status: 404, code: 'NOT_FOUND' }, malformedApi],
  'GET /api/webhooks/:id/deliveries': [
    anonymousApi,
    { as: 'api-key', status: 404, code: 'NOT_FOUND' },
    malformedApi,
  ],
  'POST /api/webhooks/:id/deliveries/:messageId/resend': [
    anonymousApi,
    { as: 'api-key', status: 404, code: 'NOT_FOUND' },
    malformedApi,
  ],
  'GET /api/lessons/:id/questions': [
    anonymousApi,
    { as: 'api-key', status: 404, code: 'NOT_FOUND' },
    malformedApi,
  ],
  'PUT /api/lessons/:id/questions': [
    anonymousApi,
    { as: 'api-key', body: {}, status: 400, code: 'INVALID_REQUEST' },
    {
      as: 'api-key',
      body: { questions: [{ kind: 'single', at: 1, prompt: 'Which?', choices: [] }] },
      status: 400,
      code: 'INVALID_REQUEST',
    },
    { as: 'api-key', body: { questions: [] }, status: 404, code: 'NOT_FOUND' },
    { ...malformedApi, body: { questions: [] } },
  ],
  // Only a launch session opens it; an API key is no launch. (Answers are taken in front of Express,
  // as heartbeats are: lesson-questions.test.ts has their refusals.)
  'GET /lti/lessons/:id/questions': [
    { as: 'anonymous', status: 401, code: 'UNAUTHENTICATED' },
    { as: 'api-key', status: 401, code: 'UNAUTHENTICATED' },
  ],
  // The tutor, too, answers a launch session only (tutor.test.ts has the rest: limits, another's question).
  'POST /lti/lessons/:id/tutor/questions': [
    { as: 'anonymous', body: { question: 'Why?' }, status: 401, code: 'UNAUTHENTICATED' },
    { as: 'api-key', body: { question: 'Why?' }, status: 401, code: 'UNAUTHENTICATED' },
  ],
  'GET /lti/lessons/:id/tutor/questions': [
    { as: 'anonymous', status: 401, code: 'UNAUTHENTICATED' },
    { as: 'api-key', status: 401, code: 'UNAUTHENTICATED' },
  ],
  'POST /lti/tutor/questions/:id/rating': [
    { as: 'anonymous', body: { helpful: true }, status: 401, code: 'UNAUTHENTICATED' },
    { as: 'api-key', body: { helpful: true }, status: 401, code: 'UNAUTHENTICATED' },
  ],
  'ALL /lti/register': [{ as: 'anonymous', status: 403, code: 'REGISTRATION_NEEDS_LINK' }],
  'GET /lti/register/:token': [{ as: 'anonymous', status: 403, code: 'REGISTRATION_LINK_INVALID' }],
  'POST /lti/register/:token': [
    { as: 'anonymous', body: {}, status: 400, code: 'INVALID_REQUEST' },
    {
      as: 'anonymous',
      body: { openid_configuration: 'https://lms.example/.well-known/openid-configuration' },
      status: 403,
      code: 'REGISTRATION_LINK_INVALID',
    },
  ],
  'ALL /lti/login': [{ as: 'anonymous', status: 400, code: 'LOGIN_PARAMETERS' }],
  'POST /lti/launch': [{ as: 'anonymous', body: { id_token: 'x.y.z' }, status: 401, code: 'NOT_A_JWT' }],
  'POST /lti/dashboard': [{ as: 'anonymous', body: {}, status: 401, code: 'SESSION_EXPIRED' }],
  'POST /lti/studio/publish': [{ as: 'anonymous', body: {}, status: 400, code: 'INVALID_REQUEST' }],
  // No package token, nor the learner the package's page names.
  'GET /packages/:token/play': [{ as: 'anonymous', status: 400, code: 'INVALID_REQUEST' }],
  'GET /dingtalk/lessons/:lessonId': [{ as: 'anonymous', status: 404, code: 'UNKNOWN_CORP' }],
  'POST /dingtalk/lessons/:lessonId/open': [
    { as: 'anonymous', body: {}, status: 403, code: 'STATE_MISSING' },
  ],
  'POST /dingtalk/events/:corpId': [{ as: 'anonymous', body: {}, status: 404, code: 'NOT_FOUND' }],
  'POST /admin/login': [{ as: 'forged-admin', body: {}, status: 403, code: 'CROSS_SITE' }],
  'POST /admin/logout': [forgedAdmin],
  'GET /admin/dingtalk/login': [{ as: 'anonymous', status: 403, code: 'SIGN_IN_REFUSED' }],
  'GET /admin/dingtalk/callback': [{ as: 'anonymous', status: 403, code: 'SIGN_IN_REFUSED' }],
  'GET /admin': [anonymousAdmin],
  'GET /admin/background': [anonymousAdmin],
  'GET /admin/api': [anonymousAdmin],
  'GET /admin/api/scalar.js': [anonymousAdmin],
  'GET /admin/progress': [anonymousAdmin],
  'POST /admin/progress/resend': [
    anonymousAdmin,
    forgedAdmin,
    { as: 'admin', body: {}, status: 400, code: 'INVALID_REQUEST' },
  ],
  'GET /admin/webhooks': [anonymousAdmin],
  'POST /admin/webhooks': [anonymousAdmin, forgedAdmin, { as: 'admin', body: {}, status: 400, code: FORM }],
  'POST /admin/webhooks/:id/enabled': [
    anonymousAdmin,
    forgedAdmin,
    { as: 'admin', body: {}, status: 400, code: 'INVALID_REQUEST' },
    { as: 'admin', body: { enabled: 'true' }, status: 404, code: 'NOT_FOUND' },
    { ...malformedAdmin, body: { enabled: 'true' } },
  ],
  'POST /admin/webhooks/:id/delete': [
    anonymousAdmin,
    forgedAdmin,
    { as: 'admin', status: 404, code: 'NOT_FOUND' },
    malformedAdmin,
  ],
  'POST /admin/webhooks/resend': [
    anonymousAdmin,
    forgedAdmin,
    { as: 'admin', body: {}, status: 400, code: 'INVALID_REQUEST' },
    { as: 'admin', body: { messageId: 'msg_x', endpointId: 'e1' }, status: 404, code: 'NOT_FOUND' },
  ],
  'POST /admin/progress/package': [
    anonymousAdmin,
    forgedAdmin,
    { as: 'admin', body: {}, status: 400, code: 'INVALID_REQUEST' },
  ],
  'GET /admin/platforms': [anonymousAdmin],
  'POST /admin/platforms': [anonymousAdmin, forgedAdmin, { as: 'admin', body: {}, status: 400, code: FORM }],
  'POST /admin/platforms/invites': [anonymousAdmin, forgedAdmin],
  'POST /admin/platforms/:id/check': [
    anonymousAdmin,
    forgedAdmin,
    { as: 'admin', status: 404, code: 'NOT_FOUND' },
    malformedAdmin,
  ],
  'POST /admin/platforms/:id/resend': [anonymousAdmin, forgedAdmin, malformedAdmin],
  'POST /admin/keys/rotate': [anonymousAdmin, forgedAdmin],
  'GET /admin/dingtalk': [anonymousAdmin],
  'POST /admin/dingtalk/corps': [
    anonymousAdmin,
    forgedAdmin,
    { as: 'admin', body: {}, status: 400, code: FORM },
  ],
  'GET /admin/dingtalk/corps/:corpId': [
    anonymousAdmin,
    { as: 'admin', status: 404, code: 'NOT_FOUND' },
    malformedAdmin,
  ],
  'POST /admin/dingtalk/corps/:corpId/assignments': [
    anonymousAdmin,
    forgedAdmin,
    { as: 'admin', body: {}, status: 404, code: 'NOT_FOUND' },
    malformedAdmin,
  ],
  'POST /admin/dingtalk/corps/:corpId/disconnect': [
    anonymousAdmin,
    forgedAdmin,
    { as: 'admin', status: 400, code: FORM },
    { ...malformedAdmin, body: { confirm: 'yes' } },
  ],
};

const keyOf = (r: { method: string; path: string }): string => `${r.method} ${r.path}`;

describe('every endpoint refuses what it must, with a stable code', () => {
  it('has negative cases for every route in the app, and none for a route that is gone', () => {
    const routes = tool.routes.map(keyOf);
    expect(routes.filter((r) => !(r in CASES))).toEqual([]);
    expect(Object.keys(CASES).filter((k) => !routes.includes(k))).toEqual([]);
  });

  it('answers each negative case with its status and code', async () => {
    const wrong: string[] = [];
    for (const route of tool.routes) {
      const cases = CASES[keyOf(route)];
      if (!cases || cases === 'public') continue;
      for (const c of cases) {
        const method = route.method === 'ALL' ? 'POST' : route.method;
        const json = c.as === 'api-key' || c.as === 'anonymous';
        const headers: Record<string, string> = {
          accept:
            route.path.startsWith('/admin') || route.path.startsWith('/api')
              ? 'application/json'
              : 'text/html',
          // A browser sends its page's origin with a form; an anonymous one is same-site, signed out.
          ...(c.as === 'anonymous' && route.path.startsWith('/admin') && { origin: tool.url }),
          ...((c.as === 'admin' || c.as === 'forged-admin') && {
            cookie,
            origin: c.as === 'admin' ? tool.url : 'https://evil.example',
          }),
          ...(method !== 'GET' &&
            method !== 'DELETE' && {
              'content-type':
                json && !route.path.startsWith('/lti') && !route.path.startsWith('/admin')
                  ? 'application/json'
                  : 'application/x-www-form-urlencoded',
            }),
        };
        const body =
          method === 'GET' || method === 'DELETE'
            ? undefined
            : headers['content-type'] === 'application/json'
              ? JSON.stringify(c.body ?? {})
              : new URLSearchParams(
                  Object.entries(c.body ?? {}).map(([k, v]): [string, string] => [k, String(v)]),
                ).toString();
        // A tenant's requests go through its ApiClient, which carries its API key.
        const init: RequestInit = { method, headers, body, redirect: 'manual' };
        const path = fill(route.path, c.malformed);
        const res =
          c.as === 'api-key' ? await api.fetch(path, init) : await fetch(`${tool.url}${path}`, init);
        const text = await res.text();
        const code = res.headers.get('content-type')?.includes('json')
          ? (JSON.parse(text) as { code?: string }).code
          : /<code>([A-Z_]+)<\/code>/.exec(text)?.[1];
        const form = c.code === FORM && /role="alert"/.test(text);
        if (res.status !== c.status || (code !== c.code && !form))
          wrong.push(
            `${keyOf(route)} as ${c.as}: ${res.status} ${code ?? text.slice(0, 80)} (wanted ${c.status} ${c.code})`,
          );
        if (
          route.path.startsWith('/api/') &&
          !res.headers.get('content-type')?.startsWith('application/problem+json')
        )
          wrong.push(`${keyOf(route)} as ${c.as}: not problem+json`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
