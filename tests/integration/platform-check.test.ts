import type { RunningTool } from '../../lti-tool/src/server.js';
import {
  MOODLE_DEFAULT_HTTP_SECURITY,
  type MoodleHttpSecurity,
} from '../../reference-platform/src/moodle-http-security.js';
import { ReferencePlatform } from '../../reference-platform/src/reference-platform.js';
import { adminPage, adminSignIn, postAdminForm } from '../helpers/admin.js';
import { createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';
import { launch } from '../helpers/lti.js';

/**
 * "Check connection" against the REFERENCE PLATFORM SIMULATOR with Moodle's HTTP security (cURL
 * blocked hosts, allowed ports) as a fresh Moodle has it: the tool runs on a loopback address and a
 * port other than 80/443, so the platform cannot fetch our keyset. Registration passes anyway (there
 * the tool calls the LMS); the check, run by itself after registration, says what to change, step by
 * step, and turns green once the admin changed it.
 */
const PASSWORD = 'correct horse battery staple';
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let tool: RunningTool;
let platform: ReferencePlatform;
let cookie: string;
let platformId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  tool = await startTestTool(await toolConfig({ VT_DATABASE_URL: db.url }));
  await tool.adminUsers.set('ops', PASSWORD);
  cookie = await adminSignIn(tool.url, 'ops', PASSWORD);
  platform = await new ReferencePlatform().start();
  platform.httpSecurity = MOODLE_DEFAULT_HTTP_SECURITY;
});

afterAll(async () => {
  await platform?.close();
  await tool?.close();
  await db?.drop();
});

/** The platform's row on /admin/platforms. */
const platformRow = async (): Promise<string> => {
  const page = await adminPage(tool.url, '/admin/platforms', cookie);
  return new RegExp(`<tr data-platform="${platformId}">[\\s\\S]*?</tr>`).exec(page)?.[0] ?? '';
};
const stepOf = (row: string, step: string): string =>
  new RegExp(`<li data-step="${step}" data-outcome="(\\w+)">([\\s\\S]*?)</li>`)
    .exec(row)
    ?.slice(1)
    .join(' ') ?? '';
const check = async (): Promise<string> => {
  const res = await postAdminForm(tool.url, `/admin/platforms/${platformId}/check`, cookie, {});
  expect(res.status).toBe(303);
  return res.headers.get('location')!;
};
const port = (): string => new URL(tool.url).port;

describe('the platform check (Moodle HTTP security on the reference platform)', () => {
  it('runs by itself after dynamic registration and names the blocked host and port, and where to change them', async () => {
    const invite = await tool.invites.mint('ops', 1);
    const registered = await fetch(invite.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        openid_configuration: platform.openidConfigurationUrl,
        registration_token: platform.registrationToken(),
      }),
    });
    expect(registered.status).toBe(200);
    const page = await registered.text();
    expect(page).toContain('checks the connection both ways');
    platformId = (await tool.registry.list())[0]!.id;

    // The check runs once the LMS has its answer; its result is on the admin's platform list.
    const deadline = Date.now() + 30_000;
    let row = await platformRow();
    while (!row.includes('data-check=') && Date.now() < deadline) row = await platformRow();
    expect(row).toContain('data-check="failed"');
    expect(stepOf(row, 'keyset')).toMatch(/^passed /);
    const token = stepOf(row, 'token');
    expect(token).toMatch(/^failed /);
    expect(token).toContain('answered 404');
    expect(token).toContain('Site administration → General → Security → HTTP security');
    expect(token).toContain('remove 127.0.0.1');
    expect(token).toContain('“cURL blocked hosts list”');
    expect(token).toContain(`add ${port()} to “cURL allowed ports list”`);
    expect(token).toContain('purge caches');
    expect(stepOf(row, 'roster')).toMatch(/^skipped /);
    // The platform really did refuse to fetch our keyset, for the reason the check gives.
    expect(platform.blockedFetches.at(-1)).toContain(
      `${tool.url}/lti/keys: the host 127.0.0.1 is in the cURL blocked hosts list`,
    );
  });

  it('stays red while only the host is allowed, and turns green once the port is too', async () => {
    const hostAllowed: MoodleHttpSecurity = { ...MOODLE_DEFAULT_HTTP_SECURITY, blockedHosts: [] };
    platform.httpSecurity = hostAllowed;
    expect(await check()).toBe('/admin/platforms?checked=failed');
    expect(platform.blockedFetches.at(-1)).toContain(
      `the port ${port()} is not in the cURL allowed ports list`,
    );
    expect(await platformRow()).toContain('data-check="failed"');

    platform.httpSecurity = { ...hostAllowed, allowedPorts: [443, 80, Number(port())] };
    expect(await check()).toBe('/admin/platforms?checked=passed');
    const row = await platformRow();
    expect(row).toContain('data-check="passed"');
    expect(stepOf(row, 'token')).toMatch(/^passed /);
    // No course has launched the tool yet: the roster waits for one, failing nothing.
    expect(stepOf(row, 'roster')).toMatch(/^skipped /);
  });

  it('reads a course roster once a course has launched the tool, and says when the LMS withholds it', async () => {
    const reg = [...platform.tools.values()][0]!;
    reg.active = true; // the Moodle admin's "Activate"
    const l = await launch(tool, platform, {
      clientId: reg.clientId,
      userId: '3',
      kind: 'deeplink',
      contextId: '101',
    });
    expect(l.status).toBe(200);
    await check();
    expect(stepOf(await platformRow(), 'roster')).toMatch(/^passed [\s\S]*“Warehouse safety” has \d+ member/);

    platform.nrpsEnabled = false; // the tool's NRPS setting off in Moodle: no scope granted
    try {
      expect(await check()).toBe('/admin/platforms?checked=failed');
      const roster = stepOf(await platformRow(), 'roster');
      expect(roster).toMatch(/^failed /);
      expect(roster).toContain('Names and Role Provisioning');
    } finally {
      platform.nrpsEnabled = true;
    }
  });

  it('is for tool admins only, and a forged form checks nothing', async () => {
    const forged = await postAdminForm(
      tool.url,
      `/admin/platforms/${platformId}/check`,
      cookie,
      {},
      'https://evil.example',
    );
    expect(forged.status).toBe(403);
    const anonymous = await postAdminForm(tool.url, `/admin/platforms/${platformId}/check`, '', {});
    expect(anonymous.headers.get('location')).toBe('/admin/login');
    expect(
      (await postAdminForm(tool.url, '/admin/platforms/no-such-platform/check', cookie, {})).status,
    ).toBe(404);
  });
});
