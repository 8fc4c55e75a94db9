import type { Browser } from 'playwright-core';
import type { RunningTool } from '../../lti-tool/src/server.js';
import type { ReferencePlatform, ToolRegistration } from '../../reference-platform/src/reference-platform.js';
import { launchChromium } from '../helpers/browser.js';
import { ApiClient } from '../helpers/farm.js';
import { launch, registerManually, startLtiStack, type LtiStack } from '../helpers/lti.js';
import { PORTRAIT } from '../helpers/paths.js';
import { makeSpeech } from '../helpers/speech.js';

/**
 * Live Avatar with no GPU render node online (only a preview node runs here): the studio does not
 * offer it, and a render that waits for one (the page was loaded while a GPU node was up) says so,
 * in the API and on the page, with a Cancel button that works.
 */
let stack: LtiStack;
let tool: RunningTool;
let platform: ReferencePlatform;
let reg: ToolRegistration;
let browser: Browser;

beforeAll(async () => {
  stack = await startLtiStack('preview-only-node');
  ({ tool, platform } = stack);
  reg = await registerManually(tool, platform);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const deepLink = () =>
  launch(tool, platform, { clientId: reg.clientId, userId: '3', kind: 'deeplink', contextId: '101' });

describe('an engine no render node offers', () => {
  it('is not offered in the studio: Live Avatar is named as offline and cannot be chosen', async () => {
    const l = await deepLink();
    const option = /<option\s+value="liveavatar"[^>]*>([\s\S]*?)<\/option>/.exec(l.html)!;
    expect(option[0]).toMatch(/\bdisabled\b/);
    expect(option[1]).toContain('no GPU render node online');
    // The preview engine has a node: offered, and chosen.
    expect(/<option value="preview"[^>]*>([\s\S]*?)<\/option>/.exec(l.html)![0]).not.toContain('online');
  });

  it('a render for it says through the API that it waits for a GPU node, and can be cancelled', async () => {
    const l = await deepLink();
    const api = new ApiClient(tool.url, l.session!);
    const portrait = await api.upload('portrait', PORTRAIT);
    const audio = await api.upload('audio', (await makeSpeech([{ say: 'Waiting.' }])).path);
    const submitted = (await api.submit({
      title: 'Waits',
      portrait: portrait.sha256,
      audio: audio.sha256,
      engine: 'liveavatar',
      size: '704*384',
    })) as unknown as { id: string; waiting?: { reason: string; message: string } };
    expect(submitted.waiting).toEqual({
      reason: 'no-node',
      message: 'waiting for a GPU render node (none online)',
    });
    const cancelled = await api.fetch(`/api/renders/${submitted.id}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(202);
    const after = (await cancelled.json()) as { state: string; waiting?: unknown };
    expect(after.state).toBe('cancelled');
    expect(after.waiting).toBeUndefined();
  });

  it('the author sees “waiting for a GPU render node (none online)” and cancels from the page', async () => {
    const speech = await makeSpeech([{ say: 'A lesson that waits for a GPU.' }]);
    const page = await browser.newPage();
    await page.goto(`${platform.url}/launch?kind=deeplink&user=3&context=101`);
    await page.getByRole('heading', { name: 'Generate avatar lesson' }).waitFor();
    await page.getByLabel('Title').fill('Waiting for a GPU');
    await page.getByLabel('Portrait (photo of the presenter)').setInputFiles(PORTRAIT);
    await page.waitForSelector('#face-status[data-face="found"]');
    const uploaded = page.waitForResponse((r) => r.url().endsWith('/api/assets') && r.status() === 201);
    await page.getByLabel('Voice recording').setInputFiles(speech.path);
    await uploaded;
    // The page was loaded while a GPU node was online; it has gone since.
    await page.locator('#engine option[value="liveavatar"]').evaluate((o) => o.removeAttribute('disabled'));
    await page.getByLabel('Engine').selectOption('liveavatar');
    await page.getByRole('button', { name: 'Render lesson' }).click();
    await page.waitForSelector('body[data-waiting="no-node"]');
    expect(await page.locator('#progress-text').textContent()).toContain(
      'Waiting for a GPU render node (none online)',
    );
    const cancel = page.getByRole('button', { name: 'Cancel render' });
    expect(await cancel.isVisible()).toBe(true);
    await cancel.click();
    await page.getByText('The render was cancelled.').waitFor();
    expect(await cancel.isVisible()).toBe(false);
    // The studio can be used again.
    expect(await page.getByRole('button', { name: 'Render lesson' }).isEnabled()).toBe(true);
    await page.close();
  });
});
