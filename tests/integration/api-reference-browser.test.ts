import type { Browser } from 'playwright-core';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { launchChromium } from '../helpers/browser.js';
import { createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';

/**
 * The admin's API reference in Chromium: Scalar, served by the tool itself, renders the tenant API
 * from /api/openapi.json under the pages' strict CSP (nothing from a CDN, no policy violation).
 */
const PASSWORD = 'correct horse battery staple';
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let tool: RunningTool;
let browser: Browser;

beforeAll(async () => {
  db = await createTestDatabase();
  tool = await startTestTool(await toolConfig({ VT_DATABASE_URL: db.url }));
  await tool.adminUsers.set('ops', PASSWORD);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await tool?.close();
  await db?.drop();
});

it('a signed-in admin reads the API reference, rendered from our own document and bundle', async () => {
  const page = await browser.newPage();
  const problems: string[] = [];
  const elsewhere: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(m.text());
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(tool.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:'))
      elsewhere.push(r.url());
  });
  await page.goto(`${tool.url}/admin/api`);
  expect(new URL(page.url()).pathname).toBe('/admin/login');
  await page.fill('#username', 'ops');
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${tool.url}/admin`), page.click('button[type=submit]')]);
  await page.goto(`${tool.url}/admin/api`);
  await page.getByRole('link', { name: 'API', exact: true }).waitFor();
  // Operations are listed by the summaries their route files gave them.
  await page.getByText('Render a lesson version').first().waitFor({ timeout: 30_000 });
  await page.getByText('A render’s progress as Server-Sent Events').first().waitFor();
  expect(problems).toEqual([]);
  expect(elsewhere).toEqual([]);
  await page.close();
}, 90_000);
