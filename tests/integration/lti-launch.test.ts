import { generateKeyPair } from 'jose';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { CLAIM } from '../../lti-tool/src/lti/lti-claims.js';
import {
  ReferencePlatform,
  type LaunchIntent,
  type ToolRegistration,
} from '../../reference-platform/src/reference-platform.js';
import { createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';
import { addToolTo, launch, registerManually } from '../helpers/lti.js';
import { sweepExpired } from '../../lti-tool/src/lti/lti-sweeper.js';

/** LTI 1.3 launches against the REFERENCE PLATFORM SIMULATOR (real RS256 keys, JWKS, OIDC). */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let tool: RunningTool;
let platform: ReferencePlatform;
let reg: ToolRegistration;

beforeAll(async () => {
  db = await createTestDatabase();
  tool = await startTestTool(await toolConfig({ VT_DATABASE_URL: db.url }));
  platform = await new ReferencePlatform().start();
  reg = await registerManually(tool, platform);
});

afterAll(async () => {
  await platform?.close();
  await tool?.close();
  await db?.drop();
});

const deepLink = (user = '3', context = '101'): LaunchIntent => ({
  clientId: reg.clientId,
  userId: user,
  kind: 'deeplink',
  contextId: context,
});

/** A refused launch: the bilingual error page with the problem code and a reference, no stack. */
function expectRefused(r: { status: number; html: string }, problem: string, status = 401): void {
  expect(r.status).toBe(status);
  expect(r.html).toContain(`<code>${problem}</code>`);
  expect(r.html).toMatch(/data-reference>[0-9a-f]{10}</);
  expect(r.html).toMatch(/<p lang="zh-CN">[^<]*[\u4e00-\u9fff]/); // and in Chinese
  expect(r.html).not.toMatch(/at \w+ \(|node_modules|Error:/);
}

describe('LTI 1.3 launches (reference platform simulator)', () => {
  it('an instructor deep-linking launch opens the studio, with a session and the platform allowed to frame it', async () => {
    const r = await launch(tool, platform, deepLink());
    expect(r.status).toBe(200);
    expect(r.html).toContain('Generate avatar lesson');
    expect(r.session).toMatch(/^vt_lti_/);
    expect(r.csp).toContain(`frame-ancestors 'self' ${platform.url}`);
  });

  it('the page answers the id_token POST itself: no second request, no ltik in a URL', async () => {
    const r = await launch(tool, platform, deepLink('3', '104'));
    expect(r.status).toBe(200);
    expect(r.session).toMatch(/^vt_lti_/);
    expect(r.redirectedTo).toBeUndefined();
  });

  it('a platform registered after a login for it was refused launches at once (no stale lookup)', async () => {
    const late = await new ReferencePlatform().start();
    try {
      // The platform knows the tool; the tool does not know the platform yet.
      const lateReg = addToolTo(late, tool.url);
      const before = await launch(tool, late, { ...deepLink(), clientId: lateReg.clientId });
      expect(before.status).not.toBe(200);
      await registerManually(tool, late, lateReg);
      const after = await launch(tool, late, { ...deepLink(), clientId: lateReg.clientId });
      expect(after.status).toBe(200);
      expect(after.session).toMatch(/^vt_lti_/);
    } finally {
      await late.close();
    }
  });

  it('the same person launching in several tabs at once gets every one of them', async () => {
    const tabs = await Promise.all(
      Array.from({ length: 6 }, () => launch(tool, platform, deepLink('3', '103'))),
    );
    expect(tabs.map((t) => t.status)).toEqual(Array(6).fill(200));
    expect(new Set(tabs.map((t) => t.session)).size).toBe(6);
  });

  it('a learner cannot open the studio', async () => {
    expectRefused(await launch(tool, platform, deepLink('4')), 'LEARNER_NOT_ALLOWED', 403);
  });

  it('refuses a bad signature', async () => {
    const other = await generateKeyPair('RS256');
    expectRefused(
      await launch(tool, platform, deepLink(), { sign: { key: other.privateKey } }),
      'BAD_SIGNATURE',
    );
  });

  it('refuses an unknown kid', async () => {
    const other = await generateKeyPair('RS256');
    expectRefused(
      await launch(tool, platform, deepLink(), { sign: { key: other.privateKey, kid: 'not-in-the-keyset' } }),
      'KEY_NOT_FOUND',
    );
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectRefused(
      await launch(tool, platform, deepLink(), { claims: (c) => ({ ...c, iat: now - 120, exp: now - 60 }) }),
      'TOKEN_EXPIRED',
    );
  });

  it('refuses iat in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectRefused(
      await launch(tool, platform, deepLink(), { claims: (c) => ({ ...c, iat: now + 120, exp: now + 180 }) }),
      'IAT_INVALID',
    );
  });

  it('refuses a reused nonce (a replayed id_token)', async () => {
    const first = await launch(tool, platform, deepLink());
    expect(first.status).toBe(200);
    expectRefused(await launch(tool, platform, deepLink(), { idToken: first.idToken }), 'NONCE_REUSED');
  });

  it('refuses a wrong aud', async () => {
    expectRefused(
      await launch(tool, platform, deepLink(), { claims: (c) => ({ ...c, aud: 'someone-else' }) }),
      'UNREGISTERED_PLATFORM',
    );
  });

  it('refuses a wrong azp when there are several audiences', async () => {
    expectRefused(
      await launch(tool, platform, deepLink(), {
        claims: (c) => ({ ...c, aud: [reg.clientId, 'another-tool'], azp: 'another-tool' }),
      }),
      'AZP_MISMATCH',
    );
    expectRefused(
      await launch(tool, platform, deepLink(), {
        claims: (c) => ({ ...c, aud: [reg.clientId, 'another-tool'] }),
      }),
      'AZP_MISMATCH',
    );
  });

  it('refuses an unknown deployment id', async () => {
    expectRefused(
      await launch(tool, platform, deepLink(), { claims: (c) => ({ ...c, [CLAIM.deploymentId]: '999' }) }),
      'UNKNOWN_DEPLOYMENT',
    );
  });

  it('refuses a missing message type', async () => {
    expectRefused(
      await launch(tool, platform, deepLink(), {
        claims: (c) => {
          const { [CLAIM.messageType]: _gone, ...rest } = c;
          return rest;
        },
      }),
      'MESSAGE_TYPE',
    );
  });

  it('refuses a wrong LTI version', async () => {
    expectRefused(
      await launch(tool, platform, deepLink(), { claims: (c) => ({ ...c, [CLAIM.version]: '1.1' }) }),
      'WRONG_VERSION',
    );
  });

  it('refuses a resource link launch without sub', async () => {
    expectRefused(
      await launch(
        tool,
        platform,
        { clientId: reg.clientId, userId: '4', kind: 'resource', contextId: '101', resourceLinkId: 'x' },
        {
          claims: (c) => {
            const { sub: _gone, ...rest } = c;
            return rest;
          },
        },
      ),
      'NO_SUB',
    );
  });

  it('refuses a launch whose state cookie did not come back (third-party cookies blocked), and says what to do', async () => {
    const r = await launch(tool, platform, deepLink(), { dropStateCookie: true });
    expectRefused(r, 'STATE_MISSING');
    expect(r.html).toContain('New window');
  });

  it('a stale or replayed launch without its cookie says what is wrong with it, not the cookie advice', async () => {
    const used = await launch(tool, platform, deepLink());
    expect(used.status).toBe(200);
    const replayed = await launch(tool, platform, deepLink(), {
      idToken: used.idToken,
      dropStateCookie: true,
    });
    expectRefused(replayed, 'NONCE_REUSED');
    expect(replayed.html).not.toContain('New window');
    const expired = await launch(tool, platform, deepLink(), {
      dropStateCookie: true,
      claims: (c) => ({
        ...c,
        iat: Math.floor(Date.now() / 1000) - 600,
        exp: Math.floor(Date.now() / 1000) - 300,
      }),
    });
    expectRefused(expired, 'TOKEN_EXPIRED');
    // A fresh token checked this way is not spent: with its cookie it still launches.
    const fresh = await launch(tool, platform, deepLink(), { dropStateCookie: true });
    expectRefused(fresh, 'STATE_MISSING');
    expect((await launch(tool, platform, deepLink(), { idToken: fresh.idToken })).status).toBe(200);
  });

  it('inside an iframe whose cookies are blocked, the login offers the same launch in a new window', async () => {
    const params = platform.loginParams(deepLink());
    const framed = { 'sec-fetch-dest': 'iframe' };
    const first = await fetch(`${tool.url}/lti/login?${new URLSearchParams(params)}`, {
      redirect: 'manual',
      headers: framed,
    });
    expect(first.status).toBe(303);
    expect(first.headers.get('set-cookie')).toMatch(/^vt_cookie_probe=1; .*HttpOnly/);
    const probed = new URL(first.headers.get('location')!, tool.url);
    expect(probed.searchParams.get('vt_probe')).toBe('1');
    // The browser did not keep the probe cookie:
    const blocked = await fetch(probed, { redirect: 'manual', headers: framed });
    expect(blocked.status).toBe(200);
    expect(blocked.headers.get('content-security-policy')).toContain(
      `frame-ancestors 'self' ${platform.url}`,
    );
    const page = await blocked.text();
    const href = /<a class="button" href="([^"]+)" target="_blank" rel="noopener"/.exec(page)![1]!;
    const retry = new URL(href.replaceAll('&#38;', '&'), tool.url);
    expect(Object.fromEntries(retry.searchParams)).toEqual(params); // the same login, unmarked
    expect(page).toContain('在新窗口中打开');
    // In its own window (a top-level document) the login goes on to the platform.
    const top = await fetch(retry, { redirect: 'manual', headers: { 'sec-fetch-dest': 'document' } });
    expect(top.status).toBe(302);
    expect(top.headers.get('location')).toMatch(new RegExp(`^${platform.url}/auth\\?`));
  });

  it('inside an iframe that keeps cookies, the login goes on after one probe', async () => {
    const params = platform.loginParams(deepLink());
    const first = await fetch(`${tool.url}/lti/login?${new URLSearchParams(params)}`, {
      redirect: 'manual',
      headers: { 'sec-fetch-dest': 'iframe' },
    });
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    const second = await fetch(new URL(first.headers.get('location')!, tool.url), {
      redirect: 'manual',
      headers: { 'sec-fetch-dest': 'iframe', cookie },
    });
    expect(second.status).toBe(302);
    expect(second.headers.get('location')).toMatch(new RegExp(`^${platform.url}/auth\\?`));
  });

  it('refuses a login initiation without the required parameters, with a page', async () => {
    const res = await fetch(`${tool.url}/lti/login?iss=${encodeURIComponent(platform.issuer)}`);
    expectRefused({ status: res.status, html: await res.text() }, 'LOGIN_PARAMETERS', 400);
  });

  it('expired launch sessions and nonces are swept; live ones stay', async () => {
    const live = await launch(tool, platform, deepLink('3', '104'));
    const old = await launch(tool, platform, deepLink('3', '105'));
    await tool.db.query(
      `UPDATE lti_sessions SET expires_at = now() - interval '1 minute' WHERE context_id = '105'`,
    );
    await tool.db.query(
      `INSERT INTO lti_nonces (issuer, nonce, expires_at) VALUES ($1, 'spent', now() - interval '1 minute')`,
      [platform.issuer],
    );
    const swept = await sweepExpired(tool.expiring);
    expect(swept.sessions).toBe(1);
    expect(swept.nonces).toBeGreaterThanOrEqual(1);
    const { rowCount } = await tool.db.query(`SELECT 1 FROM lti_nonces WHERE nonce = 'spent'`);
    expect(rowCount).toBe(0);
    const api = (s: string) =>
      fetch(`${tool.url}/api/renders/none`, { headers: { authorization: `Bearer ${s}` } });
    expect((await api(old.session!)).status).toBe(401);
    expect((await api(live.session!)).status).toBe(404); // still signed in: the render just does not exist
  });

  it('publishes the tool keyset as JWKS', async () => {
    const jwks = (await (await fetch(`${tool.url}/lti/keys`)).json()) as {
      keys: Array<{ kid: string; alg: string }>;
    };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys[0]).toMatchObject({ alg: 'RS256', kty: 'RSA', use: 'sig' });
  });
});
