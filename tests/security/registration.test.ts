import type * as NodeCrypto from 'node:crypto';
import { createRequire } from 'node:module';
import type { ToolConfig } from '../../lti-tool/src/config.js';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { ReferencePlatform } from '../../reference-platform/src/reference-platform.js';
import { createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';
import { HostileServer, json, type Received } from '../helpers/hostile-server.js';

/**
 * Attack: take over a registered LMS through dynamic registration. Before, /lti/register was open to
 * anyone and compared the configuration URL with the issuer as a string prefix, and registering again
 * with a victim's client_id replaced its keyset and endpoints. Now registration takes a one-time URL a
 * tool admin minted, origins are compared parsed, and nothing registered is changed by a registration.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let config: ToolConfig;
let tool: RunningTool;
let platform: ReferencePlatform;

beforeAll(async () => {
  db = await createTestDatabase();
  config = await toolConfig({ VT_DATABASE_URL: db.url });
  tool = await startTestTool(config);
  platform = await new ReferencePlatform().start();
});

afterAll(async () => {
  await platform?.close();
  await tool?.close();
  await db?.drop();
});

const register = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${tool.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
const registerWith = (inviteUrl: string, openidConfiguration: string, token = 'reg-token') =>
  register(new URL(inviteUrl).pathname, {
    openid_configuration: openidConfiguration,
    registration_token: token,
  });
const problemOf = async (res: Response): Promise<string | undefined> =>
  /<code>([A-Z_]+)<\/code>/.exec(await res.text())?.[1];

/**
 * An LMS the attacker runs: its OpenID configuration names `issuer` (any origin it likes) and its
 * own endpoints, and its registration endpoint answers with `clientId`.
 */
function attackerPlatform(o: { issuer?: string; clientId: string; jwks?: string }): HostileServer {
  return new HostileServer((req: Received, res, self) => {
    if (req.url === '/.well-known/openid-configuration')
      return json(res, 200, {
        issuer: o.issuer ?? self.url,
        authorization_endpoint: `${self.url}/auth`,
        token_endpoint: `${self.url}/token`,
        jwks_uri: o.jwks ?? `${self.url}/jwks`,
        registration_endpoint: `${self.url}/register`,
      });
    if (req.url === '/register') return json(res, 200, { client_id: o.clientId });
    json(res, 404, {});
  });
}

describe('dynamic registration needs a one-time URL from a tool admin', () => {
  it('refuses an anonymous registration: nothing is fetched and nothing registered', async () => {
    const spy = await attackerPlatform({ clientId: 'anon' }).start();
    try {
      const page = await fetch(
        `${tool.url}/lti/register?openid_configuration=${encodeURIComponent(`${spy.url}/.well-known/openid-configuration`)}`,
      );
      expect(page.status).toBe(403);
      expect(await problemOf(page)).toBe('REGISTRATION_NEEDS_LINK');
      const post = await register('/lti/register', {
        openid_configuration: `${spy.url}/.well-known/openid-configuration`,
      });
      expect(post.status).toBe(403);
      // A token that was never minted is no better.
      const guessed = await registerWith(
        `${tool.url}/lti/register/${'A'.repeat(43)}`,
        `${spy.url}/.well-known/openid-configuration`,
      );
      expect(guessed.status).toBe(403);
      expect(await problemOf(guessed)).toBe('REGISTRATION_LINK_INVALID');
      expect(spy.received).toEqual([]);
      expect(await tool.registry.list()).toEqual([]);
    } finally {
      await spy.close();
    }
  });

  it('a minted URL opened in a browser says to paste it into the LMS', async () => {
    const invite = await tool.invites.mint('ops', 1);
    const page = await fetch(invite.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Paste this page’s URL into your LMS');
    expect(await tool.invites.usable(invite.url.split('/').pop()!)).toBe(true); // not used up
  });

  it('a minted URL registers one platform once; used or expired, it registers nothing', async () => {
    const invite = await tool.invites.mint('ops', 1);
    expect(invite.url).toMatch(new RegExp(`^${tool.url}/lti/register/[A-Za-z0-9_-]{43}$`));
    const first = await registerWith(
      invite.url,
      platform.openidConfigurationUrl,
      platform.registrationToken(),
    );
    expect(first.status).toBe(200);
    const done = await first.text();
    expect(done).toContain('Virtual Tutor is registered');
    // The one Moodle setting dynamic registration cannot make is named on the page.
    expect(done).toContain('Show in activity chooser and as a preconfigured tool');
    const again = await registerWith(
      invite.url,
      platform.openidConfigurationUrl,
      platform.registrationToken(),
    );
    expect(again.status).toBe(403);
    expect(await problemOf(again)).toBe('REGISTRATION_LINK_INVALID');

    const expired = await tool.invites.mint('ops', 1);
    await tool.db.query(`UPDATE lti_registration_invites SET expires_at = now() - interval '1 minute'`);
    const late = await registerWith(
      expired.url,
      platform.openidConfigurationUrl,
      platform.registrationToken(),
    );
    expect(late.status).toBe(403);
    expect((await tool.registry.list()).map((p) => p.issuer)).toEqual([platform.issuer]);
  });

  it('a registration that failed gives its URL back for another try', async () => {
    const down = new HostileServer((_req, res) => json(res, 500, { error: 'down for maintenance' }));
    await down.start();
    try {
      const invite = await tool.invites.mint('ops', 1);
      const failed = await registerWith(invite.url, `${down.url}/.well-known/openid-configuration`);
      expect(failed.status).toBe(502);
      const text = await failed.text();
      expect(text).toContain('answered HTTP 500');
      expect(text).not.toContain('down for maintenance'); // the platform's own words stay out
      const retried = await registerWith(
        invite.url,
        platform.openidConfigurationUrl,
        platform.registrationToken(),
      );
      expect(retried.status).toBe(200);
    } finally {
      await down.close();
    }
  });
});

describe('a registration cannot claim or change someone else’s platform', () => {
  it('compares origins parsed: a host that merely starts with the issuer is not the issuer', async () => {
    const before = await tool.registry.list();
    // The victim is the reference platform. The attacker's server claims its issuer…
    const claimVictim = await attackerPlatform({
      issuer: platform.issuer,
      clientId: before[0]!.clientId,
    }).start();
    // …and another claims an issuer its own origin merely starts with (http://127.0.0.1:4567 vs :456).
    const prefix = await attackerPlatform({ clientId: 'prefix' }).start();
    const prefixIssuer = prefix.url.slice(0, -1);
    const prefixed = attackerPlatform({ issuer: prefixIssuer, clientId: 'prefix' });
    await prefix.close();
    await prefixed.start('127.0.0.1', Number(new URL(prefix.url).port));
    try {
      for (const spy of [claimVictim, prefixed]) {
        const config = `${spy.url}/.well-known/openid-configuration`;
        expect(config.startsWith(spy === prefixed ? prefixIssuer : spy.url)).toBe(true);
        const res = await registerWith((await tool.invites.mint('ops', 1)).url, config);
        expect(res.status).toBe(502);
        expect(await res.text()).toContain('is not on the issuer');
        // Only the configuration was read: the attacker's registration endpoint never heard from us.
        expect(spy.received.map((r) => r.url)).toEqual(['/.well-known/openid-configuration']);
      }
      expect(await tool.registry.list()).toEqual(before);
    } finally {
      await claimVictim.close();
      await prefixed.close();
    }
  });

  it('never replaces the keyset or endpoints of a registered issuer and client ID', async () => {
    const lms = await attackerPlatform({ clientId: 'client-7' }).start();
    try {
      const config = `${lms.url}/.well-known/openid-configuration`;
      expect((await registerWith((await tool.invites.mint('ops', 1)).url, config)).status).toBe(200);
      const registered = (await tool.registry.list()).find((p) => p.issuer === lms.url)!;
      expect(registered.keysetUrl).toBe(`${lms.url}/jwks`);
      // The same issuer answers the same client ID again, now with another keyset.
      const again = await registerWith((await tool.invites.mint('ops', 1)).url, config);
      expect(again.status).toBe(502);
      expect(await again.text()).toContain('already registered');
      expect((await tool.registry.list()).find((p) => p.issuer === lms.url)).toEqual(registered);
    } finally {
      await lms.close();
    }
  });
});

describe('registration is cheap for the tool', () => {
  it('makes its key pair off the event loop (no generateKeyPairSync)', async () => {
    const crypto = createRequire(import.meta.url)('node:crypto') as typeof NodeCrypto;
    const original = crypto.generateKeyPairSync;
    let syncCalls = 0;
    crypto.generateKeyPairSync = ((...args: Parameters<typeof original>) => {
      syncCalls++;
      return original(...args);
    }) as typeof original;
    try {
      const invite = await tool.invites.mint('ops', 1);
      const res = await registerWith(
        invite.url,
        platform.openidConfigurationUrl,
        platform.registrationToken(),
      );
      expect(res.status).toBe(200);
    } finally {
      crypto.generateKeyPairSync = original;
    }
    expect(syncCalls).toBe(0);
  });

  it('is rate-limited per address', async () => {
    const from = { 'x-forwarded-for': '203.0.113.9' };
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++)
      statuses.push((await fetch(`${tool.url}/lti/register/${'B'.repeat(43)}`, { headers: from })).status);
    expect(statuses.slice(0, 20).every((s) => s === 403)).toBe(true);
    expect(statuses[20]).toBe(429);
    // Another address is not held up by it.
    expect((await fetch(`${tool.url}/lti/register/${'B'.repeat(43)}`)).status).toBe(403);
  });
});

describe('tool admins mint the URL', () => {
  it('on /admin/platforms, shown once', async () => {
    await tool.adminUsers.set('ops', 'correct horse battery staple');
    const login = await fetch(`${tool.url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: tool.url },
      body: new URLSearchParams({ username: 'ops', password: 'correct horse battery staple' }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const minted = await fetch(`${tool.url}/admin/platforms/invites`, {
      method: 'POST',
      headers: { origin: tool.url, cookie },
    });
    expect(minted.status).toBe(201);
    const url = /<code id="registration-url">([^<]+)<\/code>/.exec(await minted.text())?.[1];
    expect(url).toMatch(/\/lti\/register\/[A-Za-z0-9_-]{43}$/);
    const page = await (await fetch(`${tool.url}/admin/platforms`, { headers: { cookie } })).text();
    expect(page).not.toContain(url!);
    expect(page).toContain('open until');
    // Anonymous: no URL.
    const anon = await fetch(`${tool.url}/admin/platforms/invites`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: tool.url },
    });
    expect(anon.status).toBe(303);
  });
});
