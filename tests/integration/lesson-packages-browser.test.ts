import { XMLParser } from 'fast-xml-parser';
import type { Browser, FrameLocator } from 'playwright-core';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { ReferencePlatform } from '../../reference-platform/src/reference-platform.js';
import { adminPage, adminSignIn, postAdminForm } from '../helpers/admin.js';
import { launchChromium } from '../helpers/browser.js';
import { createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';
import { publishLesson, registerManually } from '../helpers/lti.js';
import { PackageLms } from '../helpers/package-lms.js';
import { makeSpeech } from '../helpers/speech.js';
import { until } from '../helpers/until.js';

/**
 * A lesson exported as SCORM 1.2 and as cmi5, imported into an LMS without LTI (tests/helpers/
 * package-lms.ts: scorm-again as the SCORM runtime; the LMS's half of cmi5 and an LRS), played in
 * Chromium: the LMS gets completion and score in its own terms, and the tool's dashboard has the
 * learner's watching too.
 */
let db: { url: string; drop(): Promise<void> };
let tool: RunningTool;
let platform: ReferencePlatform;
let browser: Browser;
let lms: PackageLms;
let lessonId: string;
let apiKey: string;
let tenantId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const config = await toolConfig({ VT_DATABASE_URL: db.url });
  tool = await startTestTool(config);
  platform = await new ReferencePlatform().start();
  const reg = await registerManually(tool, platform);
  const speech = await makeSpeech([{ say: 'Lift with your legs, not your back.' }]);
  ({ lessonId } = await publishLesson(tool, platform, reg, {
    queuePrefix: config.VT_QUEUE_PREFIX,
    title: 'Safe lifting',
    audio: speech.path,
  }));
  const { rows } = await tool.db.query<{ tenant_id: string }>('SELECT tenant_id FROM lti_deployments');
  tenantId = rows[0]!.tenant_id;
  apiKey = (await tool.tenants.createApiKey(tenantId, 'l&d')).secret;
  lms = await new PackageLms().start();
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await lms?.close();
  await platform?.close();
  await tool?.close();
  await db?.drop();
});

async function exportLesson(format: 'scorm12' | 'cmi5'): Promise<{ zip: Uint8Array; packageId: string }> {
  const res = await fetch(`${tool.url}/api/lessons/${lessonId}/packages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ format }),
  });
  expect(res.status).toBe(201);
  expect(res.headers.get('content-type')).toBe('application/zip');
  expect(res.headers.get('content-disposition')).toMatch(
    new RegExp(`attachment; filename="?Safe-lifting-${format}\\.zip"?$`),
  );
  return {
    zip: new Uint8Array(await res.arrayBuffer()),
    packageId: res.headers.get('location')!.split('/').pop()!,
  };
}

/** Plays the lesson in the tool's player, framed by the package's page. */
async function playToTheEnd(sco: { frameLocator(selector: string): FrameLocator }): Promise<void> {
  const video = sco.frameLocator('#lesson').locator('#player');
  await video.waitFor();
  await video.evaluate((v) => (v as unknown as { play(): Promise<void> }).play());
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false });
const watched = async (userId: string) =>
  (
    await tool.db.query<{ completed: boolean; coverage: number }>(
      'SELECT completed_at IS NOT NULL AS completed, coverage FROM watch_progress WHERE lesson_id = $1 AND user_id = $2',
      [lessonId, userId],
    )
  ).rows[0];

it('SCORM 1.2: the manifest names the SCO and its files; scorm-again as the LMS gets completed and the score', async () => {
  const { zip, packageId } = await exportLesson('scorm12');
  const files = lms.import('scorm', zip);
  expect(Object.keys(files).sort()).toEqual(['imsmanifest.xml', 'index.html', 'launch.js']);
  const manifest = xml.parse(Buffer.from(files['imsmanifest.xml']!).toString('utf8')).manifest;
  expect(manifest['@xmlns']).toBe('http://www.imsproject.org/xsd/imscp_rootv1p1p2');
  expect(manifest.metadata).toEqual({ schema: 'ADL SCORM', schemaversion: '1.2' });
  const org = manifest.organizations.organization;
  expect(manifest.organizations['@default']).toBe(org['@identifier']);
  expect(org.title).toBe('Safe lifting');
  const resource = manifest.resources.resource;
  expect(org.item['@identifierref']).toBe(resource['@identifier']);
  expect(resource['@adlcp:scormtype']).toBe('sco');
  expect(resource['@href']).toBe('index.html');
  expect(
    [resource.file]
      .flat()
      .map((f: { '@href': string }) => f['@href'])
      .sort(),
  ).toEqual(['index.html', 'launch.js']);

  const page = await browser.newPage();
  await page.goto(lms.scormPage('scorm', { id: 'emp-42', name: 'Doe, Jane' }));
  const sco = page.frameLocator('#sco');
  await playToTheEnd(sco);
  const cmi = () =>
    page.evaluate(() => {
      const core = (globalThis as unknown as { API: { cmi: { core: Record<string, unknown> } } }).API.cmi
        .core;
      return { status: core.lesson_status, score: (core.score as { raw: string }).raw };
    });
  await until('the SCO to report completion', async () => (await cmi()).status === 'completed', 60_000);
  expect(await cmi()).toEqual({ status: 'completed', score: '100' });
  await sco.locator('#finish').click();
  await until('LMSFinish', () =>
    page.evaluate(() => (globalThis as unknown as { finished: boolean }).finished),
  );
  // The tool has the learner too, known per package.
  expect(await watched(`pkg:${packageId}:emp-42`)).toEqual({ completed: true, coverage: 1 });
  await page.close();
}, 120_000);

it('cmi5: the AU sends initialized, passed, completed and terminated, as the cmi5 profile says', async () => {
  const { zip, packageId } = await exportLesson('cmi5');
  const files = lms.import('cmi5', zip);
  expect(Object.keys(files).sort()).toEqual(['cmi5.umd.js', 'cmi5.xml', 'index.html', 'launch.js']);
  const structure = xml.parse(Buffer.from(files['cmi5.xml']!).toString('utf8')).courseStructure;
  expect(structure['@xmlns']).toBe('https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd');
  expect(structure.course['@id']).toMatch(/^http/);
  const au = structure.au;
  expect(au).toMatchObject({ '@moveOn': 'Completed', '@launchMethod': 'AnyWindow', url: 'index.html' });
  expect(au.title.langstring['#text']).toBe('Safe lifting');

  const launch = lms.cmi5Launch('cmi5', au['@id'], 0.6);
  const page = await browser.newPage();
  await page.goto(launch.url);
  const verbs = () => lms.statements.filter((s) => s.statement.context?.registration === launch.registration);
  await until('initialized', () => verbs().length >= 2, 30_000);
  await playToTheEnd(page);
  await until('completed', () => verbs().some((s) => s.statement.verb.id.endsWith('/completed')), 60_000);
  await Promise.all([page.waitForURL(`${lms.url}/returned`), page.locator('#finish').click()]);

  const sent = verbs();
  const name = (s: (typeof sent)[number]) => s.statement.verb.id.split('/').pop();
  expect(sent.map(name)).toEqual(['launched', 'initialized', 'passed', 'completed', 'terminated']);
  const token = lms.tokenOf(launch.sessionId);
  const CMI5 = 'https://w3id.org/xapi/cmi5/context/categories/cmi5';
  const MOVEON = 'https://w3id.org/xapi/cmi5/context/categories/moveon';
  for (const s of sent.slice(1)) {
    // Sent by the AU, with the token its fetch URL gave, as xAPI 1.0.x.
    expect(s.authorization).toBe(`Basic ${token}`);
    expect(s.version).toMatch(/^1\.0/);
    const st = s.statement;
    expect(st.actor).toMatchObject({ account: launch.actor.account });
    expect(st.verb.id).toMatch(/^http:\/\/adlnet\.gov\/expapi\/verbs\//);
    expect(st.object.id).toBe(launch.activityId);
    expect(st.context.extensions['https://w3id.org/xapi/cmi5/context/extensions/sessionid']).toBe(
      launch.sessionId,
    );
    expect(st.context.contextActivities.category.map((c: { id: string }) => c.id)).toContain(CMI5);
    expect(st.timestamp).toBeDefined();
  }
  const [passed, completed, terminated] = sent.slice(2).map((s) => s.statement) as [
    Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  ];
  expect(passed.result).toMatchObject({ success: true, score: { scaled: 1 } });
  expect(passed.result.duration).toMatch(/^P/);
  expect(passed.context.contextActivities.category.map((c: { id: string }) => c.id)).toContain(MOVEON);
  expect(completed.result).toMatchObject({ completion: true });
  expect(completed.context.contextActivities.category.map((c: { id: string }) => c.id)).toContain(MOVEON);
  expect(terminated.result.duration).toMatch(/^P/);
  expect(await watched(`pkg:${packageId}:https://lms.example|emp-7`)).toEqual({
    completed: true,
    coverage: 1,
  });
  await page.close();
}, 120_000);

it('another tenant can neither export the lesson nor withdraw its package', async () => {
  const { packageId } = await exportLesson('scorm12');
  await tool.tenants.ensureTenant('other-co', 'Other Co');
  const other = { authorization: `Bearer ${(await tool.tenants.createApiKey('other-co', 'x')).secret}` };
  const exported = await fetch(`${tool.url}/api/lessons/${lessonId}/packages`, {
    method: 'POST',
    headers: { ...other, 'content-type': 'application/json' },
    body: JSON.stringify({ format: 'cmi5' }),
  });
  expect(exported.status).toBe(404);
  const withdrawn = await fetch(`${tool.url}/api/lessons/${lessonId}/packages/${packageId}`, {
    method: 'DELETE',
    headers: other,
  });
  expect(withdrawn.status).toBe(404);
});

it('a withdrawn package opens nothing', async () => {
  const { packageId, zip } = await exportLesson('scorm12');
  const token = /data-token="([^"]+)"/.exec(
    Buffer.from(lms.import('withdrawn', zip)['index.html']!).toString(),
  )![1]!;
  const open = () =>
    fetch(`${tool.url}/packages/${token}/play?learner=emp-1`, { headers: { accept: 'application/json' } });
  expect((await open()).status).toBe(200);
  const withdrawn = await fetch(`${tool.url}/api/lessons/${lessonId}/packages/${packageId}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${apiKey}` },
  });
  expect(withdrawn.status).toBe(204);
  const refused = await open();
  expect(refused.status).toBe(404);
  expect(await refused.json()).toMatchObject({ code: 'NOT_FOUND' });
});

it('an L&D admin downloads the package from the admin page', async () => {
  await tool.adminUsers.set('ld', 'correct horse battery staple');
  const cookie = await adminSignIn(tool.url, 'ld', 'correct horse battery staple');
  const page = await adminPage(tool.url, `/admin/progress?tenant=${encodeURIComponent(tenantId)}`, cookie);
  const form =
    /<form method="post" action="\/admin\/progress\/package">([\s\S]*?)<\/form>/.exec(page)?.[1] ?? '';
  expect(form).toContain(`<option value="${lessonId}">Safe lifting</option>`);
  // The learners of both packages are on the dashboard, completed, by the names their LMS gave.
  const learners = [
    ...page.matchAll(/<tr data-user="(pkg:[^"]+)" data-state="(\w+)"[^>]*>([\s\S]*?)<\/tr>/g),
  ];
  expect(learners.map((m) => [m[1]!.replace(/:[0-9a-f-]{36}:/, ':…:'), m[2]]).sort()).toEqual([
    ['pkg:…:emp-42', 'completed'],
    ['pkg:…:https://lms.example|emp-7', 'completed'],
  ]);
  expect(learners.map((m) => m[3]).join()).toMatch(/Doe, Jane[\s\S]*Li Lei|Li Lei[\s\S]*Doe, Jane/);
  const res = await postAdminForm(tool.url, '/admin/progress/package', cookie, {
    tenant: tenantId,
    lesson: lessonId,
    format: 'cmi5',
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-disposition')).toMatch(/Safe-lifting-cmi5\.zip/);
  const files = lms.import('from-admin', new Uint8Array(await res.arrayBuffer()));
  expect(Object.keys(files)).toContain('cmi5.xml');
});
