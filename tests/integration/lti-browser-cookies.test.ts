import type { Browser } from 'playwright-core';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { ReferencePlatform } from '../../reference-platform/src/reference-platform.js';
import { launchChromium } from '../helpers/browser.js';
import { createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';
import { registerManually } from '../helpers/lti.js';

/**
 * Headless Chromium with third-party cookies blocked, the REFERENCE PLATFORM SIMULATOR on another site
 * (localhost) than the tool (127.0.0.1) and framing the launch as Moodle's "Embed" container does:
 * the login sees the blocked cookies before the platform signs anyone in and offers a new window,
 * where the launch completes.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let tool: RunningTool;
let platform: ReferencePlatform;
let browser: Browser;

beforeAll(async () => {
  db = await createTestDatabase();
  // SameSite=None; Secure cookies, as behind TLS (Chromium treats loopback as a secure origin).
  tool = await startTestTool(await toolConfig({ VT_DATABASE_URL: db.url, VT_SECURE_COOKIES: 'true' }));
  platform = await new ReferencePlatform().start(0, '127.0.0.1', 'localhost');
  await registerManually(tool, platform);
  // Chromium 156 already blocks third-party cookies by default; the flag keeps it so on any version.
  browser = await launchChromium(['--test-third-party-cookie-phaseout']);
});

afterAll(async () => {
  await browser?.close();
  await platform?.close();
  await tool?.close();
  await db?.drop();
});

it('a framed launch whose cookies are blocked opens in a new window and reaches the studio', async () => {
  const page = await browser.newPage();
  await page.goto(`${platform.url}/launch?kind=deeplink&user=3&context=101&embed=1`);
  const frame = page.frameLocator('iframe[title="Virtual Tutor"]');
  const open = frame.getByRole('link', { name: /Open in a new window/ });
  await open.waitFor();
  const [popup] = await Promise.all([page.waitForEvent('popup'), open.click()]);
  await popup.getByRole('heading', { name: 'Generate avatar lesson' }).waitFor();
  expect(popup.url()).toContain(`${tool.url}/lti/launch`);
  await page.close();
});

it('framed by a platform on the same site as the tool, the cookies come back and the studio opens in the frame', async () => {
  const sameSite = await new ReferencePlatform().start(0, '127.0.0.1');
  try {
    await registerManually(tool, sameSite);
    const page = await browser.newPage();
    await page.goto(`${sameSite.url}/launch?kind=deeplink&user=3&context=101&embed=1`);
    const frame = page.frameLocator('iframe[title="Virtual Tutor"]');
    await frame.getByRole('heading', { name: 'Generate avatar lesson' }).waitFor();
    expect(await frame.getByRole('link', { name: /Open in a new window/ }).count()).toBe(0);
    await page.close();
  } finally {
    await sameSite.close();
  }
});
