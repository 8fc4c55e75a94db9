import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { REPO_ROOT } from '../../render-node/src/config.js';
import type { ToolConfig } from '../../lti-tool/src/config.js';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { ReferencePlatform } from '../../reference-platform/src/reference-platform.js';
import { createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';
import { addToolTo, launch } from '../helpers/lti.js';
import { adminSignIn, postAdminForm } from '../helpers/admin.js';

/**
 * The tool's signing keys (made once, kept, published, rotated with a grace period) and the admin's
 * platform page and CLI for manual registration, against the REFERENCE PLATFORM SIMULATOR.
 */
const PASSWORD = 'correct horse battery staple';
const VT_TOOL_CLI = join(REPO_ROOT, 'dist/lti-tool/src/cli/vt-tool.js');
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let config: ToolConfig;
let tool: RunningTool;
let platform: ReferencePlatform;

beforeAll(async () => {
  db = await createTestDatabase();
  config = await toolConfig({ VT_DATABASE_URL: db.url });
  tool = await startTestTool(config);
  await tool.adminUsers.set('ops', PASSWORD);
  platform = await new ReferencePlatform().start();
});

afterAll(async () => {
  await platform?.close();
  await tool?.close();
  await db?.drop();
});

const published = async (): Promise<JWK[]> =>
  ((await (await fetch(`${tool.url}/lti/keys`)).json()) as { keys: JWK[] }).keys;
const keyset = () => createRemoteJWKSet(new URL(`${tool.url}/lti/keys`));
const sign = () =>
  tool.keys.sign({ purpose: 'test' }, { issuer: 'tool', audience: 'lms', expiresInSec: 120 });

async function vtTool(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [VT_TOOL_CLI, ...args], {
    env: {
      ...process.env,
      VT_DATABASE_URL: db.url,
      VT_REDIS_URL: config.VT_REDIS_URL,
      VT_PUBLIC_URL: config.VT_PUBLIC_URL,
      VT_LOG_LEVEL: 'warn',
    },
  });
  return stdout;
}

const signIn = (): Promise<string> => adminSignIn(tool.url, 'ops', PASSWORD);
const postForm = (path: string, cookie: string, form: Record<string, string>, origin = tool.url) =>
  postAdminForm(tool.url, path, cookie, form, origin);

describe('the tool signing keys', () => {
  it('are made on first start, kept across a restart, and published without their private part', async () => {
    const first = await published();
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(first[0]!.d).toBeUndefined();
    expect(first[0]!.p).toBeUndefined();

    await tool.close();
    tool = await startTestTool(config);
    expect((await published()).map((k) => k.kid)).toEqual(first.map((k) => k.kid));
  });

  it('rotate: the new key signs, the old one verifies until its grace ends, then it is deleted', async () => {
    const before = await sign();
    const oldKid = decodeProtectedHeader(before).kid!;
    const r = await tool.keys.rotate();
    expect(r.retired).toEqual([oldKid]);
    expect(r.kid).not.toBe(oldKid);

    const after = await sign();
    expect(decodeProtectedHeader(after).kid).toBe(r.kid);
    expect((await published()).map((k) => k.kid)).toEqual([r.kid, oldKid]); // active first
    await expect(jwtVerify(after, keyset())).resolves.toBeDefined();
    await expect(jwtVerify(before, keyset())).resolves.toBeDefined();

    // The grace period (24 h by default) passes for the retired key.
    await tool.db.query(`UPDATE tool_keys SET retired_at = now() - interval '25 hours' WHERE kid = $1`, [
      oldKid,
    ]);
    expect((await published()).map((k) => k.kid)).toEqual([r.kid]);
    await expect(jwtVerify(before, keyset())).rejects.toThrow();
    expect((await tool.keys.rotate()).deleted).toEqual([oldKid]);
  });

  it('are listed and rotated from the command line (vt-tool keys)', async () => {
    const active = (await published())[0]!.kid!;
    expect(await vtTool('keys', 'list')).toMatch(new RegExp(`^${active} .* active {2}published$`, 'm'));
    const out = await vtTool('keys', 'rotate');
    const kid = /^new signing key (\S+) is active$/m.exec(out)?.[1];
    expect(kid).toBeDefined();
    expect(out).toContain(`retired ${active}: still published for 24 h`);
    expect((await published()).map((k) => k.kid).slice(0, 2)).toEqual([kid, active]);
  });
});

describe('one-time registration URLs from the command line', () => {
  it('vt-tool platform invite prints a URL that registers once', async () => {
    const url = (await vtTool('platform', 'invite', '--hours', '2')).trim();
    expect(url).toMatch(new RegExp(`^${tool.url}/lti/register/[A-Za-z0-9_-]{43}$`));
    const token = url.split('/').pop()!;
    expect(await tool.invites.usable(token)).toBe(true);
    expect(await tool.invites.take(token)).toBe(true);
    expect(await tool.invites.usable(token)).toBe(false);
    await expect(vtTool('platform', 'invite', '--hours', '0')).rejects.toThrow(/--hours/);
  });
});

describe('registering a platform by hand', () => {
  it('the admin page needs a sign-in', async () => {
    const res = await fetch(`${tool.url}/admin/platforms`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/login');
    const post = await postForm('/admin/platforms', '', { name: 'x' });
    expect(post.status).toBe(303);
    expect(post.headers.get('location')).toBe('/admin/login');
  });

  it('shows the values to type into the LMS, in English and Chinese', async () => {
    const cookie = await signIn();
    const en = await (await fetch(`${tool.url}/admin/platforms`, { headers: { cookie } })).text();
    expect(en).toContain(`<code>${tool.url}/lti/keys</code>`);
    expect(en).toContain(`<code>${tool.url}/lti/login</code>`);
    expect(en).toContain('Create registration URL');
    expect(en).toContain('Register a platform by hand');
    const zh = await (
      await fetch(`${tool.url}/admin/platforms`, { headers: { cookie, 'accept-language': 'zh-CN' } })
    ).text();
    expect(zh).toContain('手动注册平台');
    expect(zh).toContain('<html lang="zh-CN">');
  });

  it('registers from the admin form, and the platform can then launch the studio', async () => {
    const cookie = await signIn();
    const reg = addToolTo(platform, tool.url);
    const form = {
      name: 'Moodle <b>HR</b>',
      issuer: platform.issuer,
      clientId: reg.clientId,
      authLoginUrl: `${platform.url}/auth`,
      tokenUrl: `${platform.url}/token`,
      keysetUrl: `${platform.url}/jwks`,
      deploymentIds: `${reg.deploymentId}, spare-deployment`,
    };

    const bad = await postForm('/admin/platforms', cookie, { ...form, keysetUrl: 'not a url' });
    expect(bad.status).toBe(400);
    const badPage = await bad.text();
    expect(badPage).toMatch(/role="alert">Check “Public keyset URL”/);
    expect(badPage).toContain(`value="${reg.clientId}"`); // what was typed is kept

    const forged = await postForm('/admin/platforms', cookie, form, 'https://evil.example');
    expect(forged.status).toBe(403);

    const ok = await postForm('/admin/platforms', cookie, form);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/admin/platforms?added=${encodeURIComponent(platform.issuer)}`);
    const list = await (await fetch(`${tool.url}/admin/platforms`, { headers: { cookie } })).text();
    expect(list).toContain('Moodle &#60;b&#62;HR&#60;/b&#62;'); // shown, never interpreted
    expect(list).not.toContain('<b>HR');
    expect(list).toContain(`${reg.deploymentId}, spare-deployment`);

    const again = await postForm('/admin/platforms', cookie, form);
    expect(again.status).toBe(409);

    const r = await launch(tool, platform, {
      clientId: reg.clientId,
      userId: '3',
      kind: 'deeplink',
      contextId: '101',
    });
    expect(r.status).toBe(200);
    expect(r.html).toContain('Generate avatar lesson');
  });

  it('lists platforms from the command line (vt-tool platform list)', async () => {
    const out = await vtTool('platform', 'list');
    expect(out).toMatch(
      new RegExp(`^${platform.issuer} {2}client \\S+ {2}manual {2}deployments .*spare-deployment`, 'm'),
    );
  });

  it('rotates the signing key from the admin page', async () => {
    const cookie = await signIn();
    const res = await postForm('/admin/keys/rotate', cookie, {});
    expect(res.status).toBe(303);
    const kid = new URL(res.headers.get('location')!, tool.url).searchParams.get('rotated');
    expect((await published())[0]!.kid).toBe(kid);
    expect(await postForm('/admin/keys/rotate', cookie, {}, 'https://evil.example')).toHaveProperty(
      'status',
      403,
    );
  });
});
