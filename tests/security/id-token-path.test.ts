import type { RunningTool } from '../../lti-tool/src/server.js';
import type { ReferencePlatform, ToolRegistration } from '../../reference-platform/src/reference-platform.js';
import { launch, registerManually, startLtiStack, type LtiStack } from '../helpers/lti.js';

/**
 * Attack: an id_token posted to any /lti/* path but the launch reached ltijs, which opened a session
 * from it with its own, weaker checks (nonces kept 10 s): a used token could be replayed as its
 * learner. Now only the launch path takes an id_token, and there the full validator runs first.
 */
let stack: LtiStack;
let tool: RunningTool;
let platform: ReferencePlatform;
let reg: ToolRegistration;

beforeAll(async () => {
  stack = await startLtiStack('id-token-node');
  ({ tool, platform } = stack);
  reg = await registerManually(tool, platform);
});
afterAll(() => stack?.stop());

const sessions = async (): Promise<number> =>
  Number((await tool.db.query<{ n: string }>('SELECT count(*) AS n FROM lti_sessions')).rows[0]!.n);
const intent = { clientId: '', userId: '5', kind: 'deeplink' as const, contextId: '101' };

describe('only the launch path takes an id_token', () => {
  it('a fresh id_token posted to another /lti path opens nothing', async () => {
    const before = await sessions();
    for (const path of ['/lti/elsewhere', '/lti/launch/x', '/lti/keys', '/lti/login/x']) {
      const r = await launch(
        tool,
        platform,
        { ...intent, clientId: reg.clientId, userId: '3' },
        { postTo: path },
      );
      expect(r.status).toBe(400);
      expect(r.html).toContain('ID_TOKEN_WRONG_PATH');
    }
    expect(await sessions()).toBe(before);
  });

  it('a used id_token is refused on the launch path and on every other', async () => {
    const first = await launch(tool, platform, { ...intent, clientId: reg.clientId, userId: '3' });
    expect(first.status).toBe(200);
    const before = await sessions();
    const replay = await launch(
      tool,
      platform,
      { ...intent, clientId: reg.clientId, userId: '3' },
      {
        idToken: first.idToken,
      },
    );
    expect(replay.html).toContain('NONCE_REUSED');
    const elsewhere = await launch(
      tool,
      platform,
      { ...intent, clientId: reg.clientId, userId: '3' },
      {
        idToken: first.idToken,
        postTo: '/lti/anything',
      },
    );
    expect(elsewhere.status).toBe(400);
    expect(await sessions()).toBe(before);
  });
});
