/**
 * The screenshots of docs/moodle.md, taken from the running product: the tool on a database of its
 * own, the REFERENCE LTI PLATFORM SIMULATOR with a fresh Moodle's HTTP security, and Debian's
 * Chromium. Run it again after changing these pages: `npx tsx scripts/guide-screenshots.ts`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { MOODLE_DEFAULT_HTTP_SECURITY } from '../reference-platform/src/moodle-http-security.js';
import { ReferencePlatform } from '../reference-platform/src/reference-platform.js';
import { launchChromium } from '../tests/helpers/browser.js';
import { createTestDatabase, startTestTool, toolConfig } from '../tests/helpers/farm.js';
import { REPO } from '../tests/helpers/paths.js';

const OUT = join(REPO, 'docs/images');
const PASSWORD = `guide-${Date.now()}`;

/** A picture of `what` (a page's main content, or one element of it). */
async function shot(what: Page | Locator, name: string): Promise<void> {
  await ('locator' in what && 'goto' in what ? what.locator('main') : what).screenshot({
    path: join(OUT, `${name}.png`),
  });
  console.log(`docs/images/${name}.png`);
}

mkdirSync(OUT, { recursive: true });
const db = await createTestDatabase();
const tool = await startTestTool(await toolConfig({ VT_DATABASE_URL: db.url }));
const platform = await new ReferencePlatform().start();
platform.httpSecurity = MOODLE_DEFAULT_HTTP_SECURITY;
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 }, locale: 'en-GB' });
  await tool.adminUsers.set('ops', PASSWORD);

  // What the Moodle admin sees after "Add LTI Advantage" with the one-time URL, and after the click.
  const invite = await tool.invites.mint('ops', 72);
  await page.goto(platform.dynamicRegistrationUrl(invite.url));
  await shot(page, 'registration-confirm');
  await page.getByRole('button', { name: 'Register with this platform' }).click();
  await page.getByRole('status').first().waitFor();
  await shot(page, 'registration-done');

  // The tool admin's platform list: the check that ran after registration, red on Moodle's defaults.
  await page.goto(`${tool.url}/admin/login`);
  await page.getByLabel('User name').fill('ops');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.goto(`${tool.url}/admin/platforms`);
  while (!(await page.locator('[data-check]').count())) await page.reload();
  await shot(page.locator('table').first(), 'platform-check-failed');

  // After the Moodle admin allowed the tool's host and port: green.
  platform.httpSecurity = undefined;
  await page.getByRole('button', { name: 'Check connection' }).click();
  await page.locator('[data-check="passed"]').waitFor();
  await shot(page.locator('table').first(), 'platform-check-passed');
} finally {
  await browser.close();
  await platform.close();
  await tool.close();
  await db.drop();
}
