import { DeliveryError } from '../../adapters/lms-adapter.js';
import { MoodleAdapter } from '../../adapters/moodle/moodle-adapter.js';
import { ServiceTokens } from '../../adapters/moodle/service-tokens.js';
import type { ToolConfig } from '../../lti-tool/src/config.js';
import { checkConnectable, OutboundRefused, outboundHttp } from '../../lti-tool/src/net/outbound-http.js';
import { DingTalkStream } from '../../adapters/dingtalk/stream-client.js';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { ReferencePlatform } from '../../reference-platform/src/reference-platform.js';
import { createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';
import { HostileServer, json } from '../helpers/hostile-server.js';
import { launch, registerManually } from '../helpers/lti.js';

/**
 * Attack: server-side request forgery. Before, anyone could make the tool GET any URL (the OpenID
 * configuration) and POST with a chosen bearer token, and a registered platform's AGS, NRPS, token and
 * keyset URLs reached internal services, whose error bodies came back on the dashboard. Now every
 * outbound call goes through one guarded client: private, loopback and link-local addresses are
 * refused unless VT_ALLOW_PRIVATE_HOSTS, redirects stay on their origin, time and size are bounded,
 * service URLs must be on the platform's origin, and a peer's body goes to the log, never to a page.
 *
 * The "internal service" here is a server on loopback that records whatever reaches it.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let config: ToolConfig;
let tool: RunningTool;
let internal: HostileServer;

beforeAll(async () => {
  db = await createTestDatabase();
  // As deployed: private hosts are not allowed.
  config = await toolConfig({ VT_DATABASE_URL: db.url, VT_ALLOW_PRIVATE_HOSTS: 'false' });
  tool = await startTestTool(config);
  internal = await new HostileServer((_req, res) => json(res, 200, { db_password: 'hunter2' })).start();
});

afterAll(async () => {
  await internal?.close();
  await tool?.close();
  await db?.drop();
});

const tryRegistration = async (configUrl: string): Promise<{ status: number; text: string }> => {
  const invite = await tool.invites.mint('ops', 1);
  const res = await fetch(`${tool.url}${new URL(invite.url).pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ openid_configuration: configUrl }),
  });
  return { status: res.status, text: await res.text() };
};

describe('the tool never calls a private address unless allowed', () => {
  it('refuses loopback, private and link-local targets however they are written', async () => {
    const port = internal.port;
    const targets = [
      `http://127.0.0.1:${port}/.well-known/openid-configuration`,
      `http://localhost:${port}/.well-known/openid-configuration`,
      `http://[::1]:${port}/.well-known/openid-configuration`,
      `http://[::ffff:127.0.0.1]:${port}/.well-known/openid-configuration`,
      `http://2130706433:${port}/.well-known/openid-configuration`, // 127.0.0.1 as one number
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/admin',
    ];
    for (const target of targets) {
      const r = await tryRegistration(target);
      expect(r.status).toBe(502);
      expect(r.text).toMatch(/private or reserved address/);
    }
    expect(internal.received).toEqual([]);
  });

  it('fetches a platform’s keyset through the guard too: a launch cannot make it call inward', async () => {
    const platform = await new ReferencePlatform().start();
    try {
      // Registered by a tool admin (allowed), but the tool may not reach its loopback keyset.
      const reg = await registerManually(tool, platform);
      const before = platform.jwksFetches;
      const l = await launch(tool, platform, {
        clientId: reg.clientId,
        userId: '5',
        kind: 'resource',
        contextId: '101',
      });
      expect(l.status).toBe(401);
      expect(l.html).toContain('KEYSET_UNREACHABLE');
      expect(platform.jwksFetches).toBe(before);
    } finally {
      await platform.close();
    }
  });
});

describe('the guarded client (private hosts allowed, as on a LAN)', () => {
  const http = outboundHttp({ allowPrivate: true, totalTimeoutMs: 2000, maxResponseBytes: 64 * 1024 });
  afterAll(() => http.close());

  it('follows a redirect on the same origin, and refuses one to another host', async () => {
    const other = await new HostileServer((_req, res) => json(res, 200, { secret: true })).start('127.0.0.2');
    const redirecting = await new HostileServer((req, res) => {
      if (req.url === '/same') return void res.writeHead(302, { location: '/final' }).end();
      if (req.url === '/away') return void res.writeHead(302, { location: `${other.url}/x` }).end();
      json(res, 200, { ok: true });
    }).start();
    try {
      expect(await (await http(`${redirecting.url}/same`)).json()).toEqual({ ok: true });
      await expect(http(`${redirecting.url}/away`)).rejects.toMatchObject({ reason: 'REDIRECT_NOT_ALLOWED' });
      expect(other.received).toEqual([]);
    } finally {
      await other.close();
      await redirecting.close();
    }
  });

  it('bounds the answer: too large is refused, a peer that never answers times out', async () => {
    const big = await new HostileServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(200 * 1024));
    }).start();
    try {
      await expect(http(`${big.url}/big`)).rejects.toBeInstanceOf(OutboundRefused);
      await expect(http(`${big.url}/hang`)).rejects.toThrow(/did not answer in time/);
    } finally {
      await big.close();
    }
  });

  it('refuses cloud metadata (link-local) even when private hosts are allowed, and other schemes', async () => {
    await expect(http('http://169.254.169.254/latest/meta-data/')).rejects.toMatchObject({
      reason: 'ADDRESS_NOT_ALLOWED',
    });
    await expect(http('file:///etc/passwd')).rejects.toMatchObject({ reason: 'SCHEME_NOT_ALLOWED' });
  });
});

describe('LMS services: tokens and scores stay on the platform’s origin, its words stay in the log', () => {
  const http = outboundHttp({ allowPrivate: true });
  afterAll(() => http.close());
  const sign = async (): Promise<string> => 'assertion';

  it('never sends a bearer token to a service URL on another origin', async () => {
    const lms = await new HostileServer((req, res) =>
      req.url === '/token' ? json(res, 200, { access_token: 'T', expires_in: 3600 }) : json(res, 200, {}),
    ).start();
    try {
      const adapter = new MoodleAdapter({
        tokens: new ServiceTokens(sign, http),
        platform: async () => ({ id: 'p1', clientId: 'c1', tokenUrl: `${lms.url}/token` }),
        lineItems: { find: async () => undefined, save: async () => {}, forget: async () => {} },
        http,
      });
      const refused = await adapter
        .publishScore(
          {
            platformId: 'p1',
            // A launch claim pointing the gradebook at an internal service.
            lineitem: `${internal.url}/lineitems/1`,
            resourceLinkId: 'r1',
            label: 'x',
            scopes: [],
          },
          {
            userId: 'u1',
            scoreGiven: 1,
            scoreMaximum: 1,
            activityProgress: 'Completed',
            gradingProgress: 'FullyGraded',
            timestamp: new Date().toISOString(),
          },
        )
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(DeliveryError);
      expect((refused as DeliveryError).permanent).toBe(true);
      expect(internal.received).toEqual([]);
      expect(lms.received).toEqual([]); // not even a token was asked for
    } finally {
      await lms.close();
    }
  });

  it('keeps what the token endpoint answered out of the message (it goes to the log only)', async () => {
    const lms = await new HostileServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('db_password=hunter2');
    }).start();
    try {
      const tokens = new ServiceTokens(sign, http);
      const e = (await tokens
        .get({ id: 'p1', clientId: 'c1', tokenUrl: `${lms.url}/mod/lti/token.php` }, ['s'])
        .catch((x: unknown) => x)) as DeliveryError;
      expect(e).toBeInstanceOf(DeliveryError);
      expect(e.message).not.toContain('hunter2');
      expect(e.message).toContain('answered 404');
      // Its likely cause, in our words: Moodle answers 404 when it cannot fetch our keyset.
      expect(e.message).toContain('“cURL blocked hosts list”');
      expect(e.remoteBody).toBe('db_password=hunter2');
    } finally {
      await lms.close();
    }
  });
});

describe('the DingTalk Stream gateway’s WebSocket address (the SDK opens it, not our client)', () => {
  const APP = { corpId: 'ding-corp', appKey: 'app-key', appSecret: 'app-secret', agentId: '1' };
  /** A gateway that answers `endpoint`, and the stream's address once it took it (or undefined). */
  const connectTo = async (endpoint: string, allowPrivate: boolean): Promise<string | undefined> => {
    const gateway = async (): Promise<Response> =>
      new Response(JSON.stringify({ endpoint, ticket: 't-1' }), { status: 200 });
    const errors: Error[] = [];
    const stream = new DingTalkStream(
      APP,
      'https://api.dingtalk.example',
      gateway,
      async () => {},
      (e) => errors.push(e),
      (url) => checkConnectable(url, allowPrivate),
    );
    try {
      await stream.getEndpoint();
    } catch (e) {
      expect(errors).toEqual([e]);
      throw e;
    } finally {
      stream.disconnect();
    }
    return (stream as unknown as { dw_url?: string }).dw_url;
  };

  it('refuses a cloud metadata address, even where private hosts are allowed', async () => {
    await expect(connectTo('wss://169.254.169.254/connect', true)).rejects.toMatchObject({
      reason: 'ADDRESS_NOT_ALLOWED',
    });
  });

  it('refuses loopback by name and plain ws:// as deployed', async () => {
    await expect(connectTo('wss://localhost:4443/connect', false)).rejects.toMatchObject({
      reason: 'ADDRESS_NOT_ALLOWED',
    });
    await expect(connectTo('ws://gateway.dingtalk.example/connect', false)).rejects.toMatchObject({
      reason: 'SCHEME_NOT_ALLOWED',
    });
  });

  it('takes a loopback simulator where private hosts are allowed (as the tests run)', async () => {
    expect(await connectTo('ws://127.0.0.1:9/connect', true)).toBe('ws://127.0.0.1:9/connect?ticket=t-1');
  });
});
