import { randomBytes } from 'node:crypto';
import { platformIdOf, userKeyOf } from '../../adapters/dingtalk/dingtalk-identity.js';
import type { ToolConfig } from '../../lti-tool/src/config.js';
import { LtiSessions } from '../../lti-tool/src/lti/lti-sessions.js';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { DingTalkSimulator } from '../../dingtalk-simulator/src/dingtalk-simulator.js';
import { createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';

/**
 * Attack: replaying a genuine DingTalk event callback. Its signature stays valid for 5 minutes, so a
 * captured "user_leave_org" could be sent again after the person came back, and cut them off again.
 * Now each event is handled once, by its eventId (or, without one, its sealed bytes).
 */
const CORP = 'ding-corp-replay';
const CALLBACK = { token: 'callback-token-9', aesKey: randomBytes(32).toString('base64').slice(0, 43) };
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let config: ToolConfig;
let tool: RunningTool;
let sim: DingTalkSimulator;

beforeAll(async () => {
  sim = await new DingTalkSimulator().start();
  db = await createTestDatabase();
  config = await toolConfig({
    VT_DATABASE_URL: db.url,
    VT_DINGTALK_OAPI_URL: sim.url,
    VT_DINGTALK_API_URL: sim.url,
    VT_DINGTALK_LOGIN_URL: sim.url,
  });
  tool = await startTestTool(config);
  await tool.tenants.ensureTenant('t-dt', 'DingTalk tenant');
  await tool.dingtalk.corps.save({
    corpId: CORP,
    tenantId: 't-dt',
    name: 'Replay Co',
    appKey: 'ding-app-replay',
    appSecret: 'replay-secret-0123',
    agentId: '3009',
    callbackToken: CALLBACK.token,
    callbackAesKey: CALLBACK.aesKey,
    adminUserids: ['boss'],
    eventChannel: 'http',
  });
});

afterAll(async () => {
  await tool?.close();
  await db?.drop();
  await sim?.close();
});

/** Carol, signed in through free-login: a launch session of hers. */
const carolSignsIn = (): Promise<string> =>
  new LtiSessions(tool.db).create({
    tenantId: 't-dt',
    platformId: platformIdOf(CORP),
    deploymentId: CORP,
    contextId: 'dingtalk',
    userId: userKeyOf(CORP, 'carol'),
    role: 'learner',
    messageType: 'LtiResourceLinkRequest',
    launch: { issuer: 'dingtalk', clientId: CORP },
  });
const carolsSessions = async (): Promise<number> =>
  (await tool.db.query('SELECT 1 FROM lti_sessions WHERE user_id = $1', [userKeyOf(CORP, 'carol')]))
    .rowCount ?? 0;

describe('DingTalk event callbacks are handled once', () => {
  it('a captured leave event, replayed after the person returned, does nothing', async () => {
    await carolSignsIn();
    const url = `${tool.url}/dingtalk/events/${CORP}`;
    let captured: { q: Record<string, string>; body: { encrypt: string } } | undefined;
    const first = await sim.sendEvent(
      url,
      { ...CALLBACK, ownerKey: 'ding-app-replay' },
      sim.addressBookEvent(CORP, 'user_leave_org', ['carol']),
      (q, body) => void (captured = { q: { ...q }, body: { ...body } }),
    );
    expect(first).toEqual({ status: 200, reply: 'success' });
    expect(await carolsSessions()).toBe(0);

    // Carol comes back and signs in; then the captured request is sent again, byte for byte.
    await carolSignsIn();
    const replayed = await fetch(`${url}?${new URLSearchParams(captured!.q)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(captured!.body),
    });
    expect(replayed.status).toBe(200); // answered as DingTalk expects, so it does not retry
    expect(await carolsSessions()).toBe(1);
  });

  it('an older push without an eventId is known by its sealed bytes', async () => {
    const url = `${tool.url}/dingtalk/events/${CORP}`;
    let captured: { q: Record<string, string>; body: { encrypt: string } } | undefined;
    await sim.sendEvent(
      url,
      { ...CALLBACK, ownerKey: 'ding-app-replay' },
      sim.addressBookEvent(CORP, 'user_leave_org', ['carol'], 'register_call_back'),
      (q, body) => void (captured = { q: { ...q }, body: { ...body } }),
    );
    expect(await carolsSessions()).toBe(0);
    await carolSignsIn();
    await fetch(`${url}?${new URLSearchParams(captured!.q)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(captured!.body),
    });
    expect(await carolsSessions()).toBe(1);
  });
});
