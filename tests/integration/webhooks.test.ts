import { Redis } from 'ioredis';
import type { ToolConfig } from '../../lti-tool/src/config.js';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { ReferencePlatform } from '../../reference-platform/src/reference-platform.js';
import { adminPage, adminSignIn, postAdminForm } from '../helpers/admin.js';
import { createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';
import { launch, publishLesson, registerManually } from '../helpers/lti.js';
import { seedCourse, type SeededCourse } from '../helpers/seeded-course.js';
import { makeSpeech } from '../helpers/speech.js';
import { watchedToTheEnd } from '../helpers/progress.js';
import { until } from '../helpers/until.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { WebhookOutbox } from '../../lti-tool/src/webhooks/webhook-outbox.js';
import { RETENTION_DAYS } from '../../lti-tool/src/webhooks/webhook-delivery.js';

/**
 * Webhooks as a receiver meets them: signed as the Standard Webhooks specification says (checked by a
 * receiver written from the specification), sent for what really happened (a render, a publication,
 * a learner's completion), retried while the receiver fails, failed and resendable when it keeps
 * failing, and the endpoint turned off (with the admin page saying so) after a long failure streak.
 */
type Db = Awaited<ReturnType<typeof createTestDatabase>>;
const started: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of started.reverse()) await s.close();
});

async function toolWith(
  env: Record<string, string> = {},
): Promise<{ tool: RunningTool; config: ToolConfig }> {
  const db: Db = await createTestDatabase();
  const config = await toolConfig({ VT_DATABASE_URL: db.url, ...env });
  const tool = await startTestTool(config);
  started.push({ close: () => db.drop() }, tool);
  return { tool, config };
}
async function receiver(): Promise<WebhookReceiver> {
  const r = await new WebhookReceiver().start();
  started.push(r);
  return r;
}
const api = (tool: RunningTool, key: string, path: string, init: RequestInit & { json?: unknown } = {}) =>
  fetch(`${tool.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(init.json !== undefined && { body: JSON.stringify(init.json) }),
  });
async function register(tool: RunningTool, key: string, r: WebhookReceiver, eventTypes: string[]) {
  const res = await api(tool, key, '/api/webhooks', { method: 'POST', json: { url: r.url, eventTypes } });
  expect(res.status).toBe(201);
  const e = (await res.json()) as { id: string; secret: string };
  expect(e.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  r.secret = e.secret;
  return e.id;
}
interface DeliveryRow {
  messageId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatus: number | null;
}
const deliveries = async (tool: RunningTool, key: string, endpointId: string): Promise<DeliveryRow[]> =>
  (
    (await (await api(tool, key, `/api/webhooks/${endpointId}/deliveries`)).json()) as {
      deliveries: DeliveryRow[];
    }
  ).deliveries;

it('an HR system registers an endpoint and receives signed render.done, lesson.published and learner.completed', async () => {
  const { tool, config } = await toolWith();
  const platform = await new ReferencePlatform().start();
  started.push(platform);
  const reg = await registerManually(tool, platform);
  const { rows } = await tool.db.query<{ tenant_id: string }>('SELECT tenant_id FROM lti_deployments');
  const tenantId = rows[0]!.tenant_id;
  const key = (await tool.tenants.createApiKey(tenantId, 'hr')).secret;
  const hr = await receiver();
  const endpointId = await register(tool, key, hr, ['render.done', 'lesson.published', 'learner.completed']);

  const speech = await makeSpeech([{ say: 'Webhooks tell the HR system.' }]);
  const { lessonId, renderId, activityId } = await publishLesson(tool, platform, reg, {
    queuePrefix: config.VT_QUEUE_PREFIX,
    title: 'Hooked lesson',
    audio: speech.path,
  });
  await until(
    'render.done and lesson.published',
    () => hr.delivered('render.done').length > 0 && hr.delivered('lesson.published').length > 0,
  );
  const done = hr.delivered('render.done')[0]!;
  expect(done.verified).toBe(true);
  expect(done.json.data).toMatchObject({
    renderId,
    lessonId,
    engine: 'preview',
    href: `${tool.url}/api/renders/${renderId}`,
  });
  expect(done.json.data.durationSec).toBeGreaterThan(0);
  // The link works with the tenant's key, and says the render is done.
  const view = (await (await api(tool, key, `/api/renders/${renderId}`)).json()) as { state: string };
  expect(view.state).toBe('done');
  const published = hr.delivered('lesson.published')[0]!;
  expect(published.verified).toBe(true);
  expect(published.json.data).toMatchObject({ lessonId, renderId, title: 'Hooked lesson', courseId: '101' });

  // A learner watches it all, and completes it: once, with the score.
  const learner = await launch(tool, platform, {
    clientId: reg.clientId,
    userId: '7',
    kind: 'resource',
    contextId: '101',
    resourceLinkId: activityId,
  });
  const duration = Number(done.json.data.durationSec);
  // Sent twice (a retry after a lost answer): completed once all the same.
  for (const seq of [1, 2])
    await watchedToTheEnd(tool.url, { session: learner.session!, lessonId, durationSec: duration, seq });
  await until('learner.completed', () => hr.delivered('learner.completed').length > 0);
  const completed = hr.delivered('learner.completed')[0]!;
  expect(completed.verified).toBe(true);
  expect(completed.json.data).toMatchObject({ lessonId, userId: '7', courseId: '101', scorePercent: 100 });

  // Every event once, each with its own webhook-id; the API lists them delivered.
  expect(hr.received.map((r) => r.json.type).sort()).toEqual([
    'learner.completed',
    'lesson.published',
    'render.done',
  ]);
  expect(new Set(hr.received.map((r) => r.id)).size).toBe(3);
  const listed = await deliveries(tool, key, endpointId);
  expect(listed.map((d) => [d.eventType, d.status, d.attempts]).sort()).toEqual([
    ['learner.completed', 'delivered', 1],
    ['lesson.published', 'delivered', 1],
    ['render.done', 'delivered', 1],
  ]);
}, 180_000);

describe('a receiver that fails', () => {
  let tool: RunningTool;
  let course: SeededCourse;
  let hr: WebhookReceiver;
  let endpointId: string;
  const publish = (renderId: string) =>
    api(tool, course.instructor, `/api/lessons/${course.lessonId}/published`, {
      method: 'POST',
      json: { renderId, title: 'Safety' },
    });

  beforeAll(async () => {
    ({ tool } = await toolWith({
      VT_WEBHOOK_ATTEMPTS: '3',
      VT_WEBHOOK_BACKOFF_MS: '20',
      VT_WEBHOOK_MAX_BACKOFF_MS: '40',
      VT_WEBHOOK_DISABLE_AFTER_FAILURES: '3',
      VT_WEBHOOK_DISABLE_AFTER_SEC: '0',
    }));
    course = await seedCourse(tool);
    hr = await receiver();
    endpointId = await register(tool, course.apiKey, hr, ['lesson.published']);
  }, 60_000);

  it('is retried, then the delivery fails and the endpoint is turned off, as the admin page says', async () => {
    hr.status = 500;
    expect((await publish(course.renders.en)).status).toBe(200);
    await until('the delivery to fail', async () =>
      (await deliveries(tool, course.apiKey, endpointId)).some((d) => d.status === 'failed'),
    );
    // Three attempts of the same message (the same webhook-id), each signed anew.
    expect(hr.received).toHaveLength(3);
    expect(new Set(hr.received.map((r) => r.id)).size).toBe(1);
    expect(hr.received.every((r) => r.verified)).toBe(true);
    const [failed] = await deliveries(tool, course.apiKey, endpointId);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, lastStatus: 500 });
    const endpoint = (await (await api(tool, course.apiKey, `/api/webhooks/${endpointId}`)).json()) as Record<
      string,
      unknown
    >;
    expect(endpoint).toMatchObject({ enabled: false, disabledReason: 'failing', failures: 3 });

    await tool.adminUsers.set('ops', 'correct horse battery staple');
    const cookie = await adminSignIn(tool.url, 'ops', 'correct horse battery staple');
    const admin = await adminPage(tool.url, '/admin/webhooks', cookie);
    const alert = /<div role="alert"[^>]*id="turned-off">([\s\S]*?)<\/div>/.exec(admin)?.[1] ?? '';
    expect(alert).toContain(hr.url);
    expect(alert).toContain(course.tenantId);

    // While it is off, nothing is sent to it.
    expect((await publish(course.renders.plain)).status).toBe(200);
    expect((await deliveries(tool, course.apiKey, endpointId)).length).toBe(1);
  }, 60_000);

  it('turned on and resent, the same event is delivered once, with the same webhook-id', async () => {
    hr.status = 200;
    const on = await api(tool, course.apiKey, `/api/webhooks/${endpointId}`, {
      method: 'PATCH',
      json: { enabled: true },
    });
    expect(await on.json()).toMatchObject({ enabled: true, disabledReason: null, failures: 0 });
    const [failed] = await deliveries(tool, course.apiKey, endpointId);
    const resent = await api(
      tool,
      course.apiKey,
      `/api/webhooks/${endpointId}/deliveries/${failed!.messageId}/resend`,
      {
        method: 'POST',
      },
    );
    expect(resent.status).toBe(202);
    await until('the resent delivery', () => hr.delivered('lesson.published').length === 1);
    const got = hr.delivered('lesson.published')[0]!;
    expect(got.id).toBe(failed!.messageId);
    expect(got.verified).toBe(true);
    expect((await deliveries(tool, course.apiKey, endpointId))[0]).toMatchObject({
      status: 'delivered',
      attempts: 4,
      lastStatus: 200,
    });
    // Another tenant's publication never reaches this tenant's endpoint.
    const other = await seedCourse(tool);
    const otherHr = await receiver();
    const otherEndpoint = await register(tool, other.apiKey, otherHr, ['lesson.published']);
    await api(tool, other.instructor, `/api/lessons/${other.lessonId}/published`, {
      method: 'POST',
      json: { renderId: other.renders.en, title: 'Theirs' },
    });
    await until('the other tenant’s delivery', () => otherHr.delivered('lesson.published').length === 1);
    expect(hr.received.filter((r) => r.json.data.lessonId === other.lessonId)).toEqual([]);
    expect((await api(tool, course.apiKey, `/api/webhooks/${otherEndpoint}`)).status).toBe(404);
  }, 60_000);
});

it('a tool admin adds, turns off and deletes a tenant’s endpoint on the admin page', async () => {
  const { tool } = await toolWith();
  const course = await seedCourse(tool);
  await tool.adminUsers.set('ops', 'correct horse battery staple');
  const cookie = await adminSignIn(tool.url, 'ops', 'correct horse battery staple');
  const added = await postAdminForm(tool.url, '/admin/webhooks', cookie, {
    tenant: course.tenantId,
    url: 'https://hr.example/hooks',
    events: 'learner.completed',
  });
  expect(added.status).toBe(201);
  const shown = /<p role="status">([^<]*)<\/p>/.exec(await added.text())?.[1] ?? '';
  expect(shown).toMatch(/whsec_[A-Za-z0-9+/]{43}=/);
  const listed = (await (await api(tool, course.apiKey, '/api/webhooks')).json()) as {
    endpoints: { id: string }[];
  };
  const endpoint = listed.endpoints[0];
  expect(endpoint).toMatchObject({
    url: 'https://hr.example/hooks',
    eventTypes: ['learner.completed'],
    enabled: true,
  });
  const off = await postAdminForm(tool.url, `/admin/webhooks/${endpoint!.id}/enabled`, cookie, {
    enabled: 'false',
  });
  expect(off.status).toBe(303);
  expect(await adminPage(tool.url, '/admin/webhooks', cookie)).toContain(
    `data-endpoint="${endpoint!.id}" data-state="tenant"`,
  );
  expect((await postAdminForm(tool.url, `/admin/webhooks/${endpoint!.id}/delete`, cookie, {})).status).toBe(
    303,
  );
  expect((await api(tool, course.apiKey, `/api/webhooks/${endpoint!.id}`)).status).toBe(404);
}, 60_000);

it('forgets events past their 30 days once nothing of theirs is pending', async () => {
  // The relay (which prunes too) waits an hour here: this test prunes itself.
  const { tool } = await toolWith({ VT_WEBHOOK_RELAY_SEC: '3600' });
  const course = await seedCourse(tool);
  const hr = await receiver();
  const endpointId = await register(tool, course.apiKey, hr, ['lesson.published']);
  for (const [id, status] of [
    ['msg_old_done', 'delivered'],
    ['msg_old_pending', 'pending'],
    ['msg_new_done', 'delivered'],
  ] as const) {
    const age = id.includes('old') ? '31 days' : '1 day';
    await tool.db.query(
      `INSERT INTO webhook_messages (id, tenant_id, event_type, dedupe_key, payload, created_at)
       VALUES ($1, $2, 'lesson.published', $1, '{}', now() - $3::interval)`,
      [id, course.tenantId, age],
    );
    await tool.db.query(
      `INSERT INTO webhook_deliveries (message_id, endpoint_id, status) VALUES ($1, $2, $3)`,
      [id, endpointId, status],
    );
  }
  expect(await new WebhookOutbox(tool.db).prune(RETENTION_DAYS)).toBe(1);
  const { rows } = await tool.db.query<{ id: string }>(
    `SELECT id FROM webhook_messages WHERE id LIKE 'msg\\_%' ORDER BY id`,
  );
  expect(rows.map((r) => r.id)).toEqual(['msg_new_done', 'msg_old_pending']);
}, 60_000);

it('a delivery whose job Redis lost is queued again from PostgreSQL, and sent once', async () => {
  // The first attempt fails and its retry waits a minute: then Redis loses the queue whole.
  const { tool, config } = await toolWith({ VT_WEBHOOK_BACKOFF_MS: '60000', VT_WEBHOOK_RELAY_SEC: '1' });
  const course = await seedCourse(tool);
  const hr = await receiver();
  const endpointId = await register(tool, course.apiKey, hr, ['lesson.published']);
  hr.status = 503;
  await api(tool, course.instructor, `/api/lessons/${course.lessonId}/published`, {
    method: 'POST',
    json: { renderId: course.renders.en, title: 'Safety' },
  });
  await until('the first attempt', () => hr.received.length === 1);
  const redis = new Redis(config.VT_REDIS_URL);
  try {
    const keys = await redis.keys(`${config.VT_QUEUE_PREFIX}:webhooks:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
  hr.status = 200;
  await until('the relay to send it again', () => hr.delivered('lesson.published').length === 1);
  expect(hr.received.map((r) => r.id)).toEqual([hr.received[0]!.id, hr.received[0]!.id]);
  expect((await deliveries(tool, course.apiKey, endpointId))[0]).toMatchObject({
    status: 'delivered',
    attempts: 2,
  });
}, 60_000);

it('sends nothing to private addresses unless the tool allows them', async () => {
  const { tool } = await toolWith({ VT_ALLOW_PRIVATE_HOSTS: 'false' });
  const course = await seedCourse(tool);
  const hr = await receiver();
  // A literal private address is refused at once.
  const literal = await api(tool, course.apiKey, '/api/webhooks', {
    method: 'POST',
    json: { url: hr.url, eventTypes: ['lesson.published'] },
  });
  expect(literal.status).toBe(422);
  expect(await literal.json()).toMatchObject({ code: 'UNPROCESSABLE' });
  // A name is checked where it is resolved: localhost is loopback, so the attempt is refused.
  const named = await api(tool, course.apiKey, '/api/webhooks', {
    method: 'POST',
    json: { url: hr.url.replace('127.0.0.1', 'localhost'), eventTypes: ['lesson.published'] },
  });
  expect(named.status).toBe(201);
  const { id } = (await named.json()) as { id: string };
  await api(tool, course.instructor, `/api/lessons/${course.lessonId}/published`, {
    method: 'POST',
    json: { renderId: course.renders.en, title: 'Safety' },
  });
  let last: { lastError: string | null; attempts: number } | undefined;
  await until('an attempt', async () => {
    last = (await deliveries(tool, course.apiKey, id))[0] as typeof last & DeliveryRow;
    return (last?.attempts ?? 0) > 0;
  });
  expect(last!.lastError).toMatch(/private or reserved/);
  expect(hr.received).toEqual([]);
}, 60_000);
