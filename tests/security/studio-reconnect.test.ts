import type { Browser } from 'playwright-core';
import type { ToolConfig } from '../../lti-tool/src/config.js';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { ReferencePlatform } from '../../reference-platform/src/reference-platform.js';
import { launchChromium } from '../helpers/browser.js';
import {
  createTestDatabase,
  startNode,
  startTestTool,
  stopNode,
  toolConfig,
  type TestNode,
} from '../helpers/farm.js';
import { registerManually } from '../helpers/lti.js';
import { PORTRAIT } from '../helpers/paths.js';
import { makeSpeech } from '../helpers/speech.js';

/**
 * The studio following a render when the tool (and with it the progress stream) goes away: before,
 * the page took the broken stream for the render's end and said it had failed. Now it says
 * "Reconnecting…", follows again with Last-Event-ID once the tool is back, and sees the render done.
 * In headless Chromium, with the REFERENCE PLATFORM SIMULATOR.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let config: ToolConfig;
let tool: RunningTool;
let platform: ReferencePlatform;
let browser: Browser;
let node: TestNode | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  config = await toolConfig({ VT_DATABASE_URL: db.url });
  tool = await startTestTool(config);
  platform = await new ReferencePlatform().start();
  await registerManually(tool, platform);
  browser = await launchChromium();
});

afterAll(async () => {
  if (node) await stopNode(node);
  await browser?.close();
  await platform?.close();
  await tool?.close();
  await db?.drop();
});

describe('the studio’s progress survives the tool going away', () => {
  it('says "Reconnecting…" while the tool is down, then follows the render to its end', async () => {
    const speech = await makeSpeech([{ say: 'The tool restarts while this lesson is rendered.' }]);
    const page = await browser.newPage();
    await page.goto(`${platform.url}/launch?kind=deeplink&user=3&context=101`);
    await page.getByRole('heading', { name: 'Generate avatar lesson' }).waitFor();
    await page.getByLabel('Title').fill('Restart drill');
    await page.getByLabel('Portrait (photo of the presenter)').setInputFiles(PORTRAIT);
    await page.waitForSelector('#face-status[data-face="found"]');
    // The audio uploads as soon as it is chosen: wait for that answer before submitting.
    const audioUploaded = page.waitForResponse((r) => r.url().endsWith('/api/assets') && r.status() === 201);
    await page.getByLabel('Voice recording').setInputFiles(speech.path);
    await audioUploaded;
    await page.getByLabel('Size').selectOption('384*256');
    await page.getByRole('button', { name: 'Render lesson' }).click();
    // No render node yet: the render waits in the queue, and the page follows it.
    await page.waitForSelector('body[data-stream="open"]');

    await tool.close();
    await page.waitForSelector('body[data-stream="reconnecting"]');
    expect(await page.locator('#progress-text').textContent()).toBe('Reconnecting…');
    tool = await startTestTool(config);
    await page.waitForSelector('body[data-stream="open"]', { timeout: 30_000 });

    // Every text the progress line shows from here on, to check how stages are named.
    await page.evaluate(() => {
      const w = globalThis as unknown as {
        shown: string[];
        document: { getElementById(id: string): unknown };
      };
      w.shown = [];
      const line = w.document.getElementById('progress-text') as { textContent: string };
      new (
        globalThis as unknown as {
          MutationObserver: new (cb: () => void) => { observe(n: unknown, o: object): void };
        }
      ).MutationObserver(() => w.shown.push(line.textContent)).observe(line, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    node = await startNode('reconnect-node', { VT_QUEUE_PREFIX: config.VT_QUEUE_PREFIX });
    await page.waitForSelector('body[data-render-state="done"]', { timeout: 120_000 });
    expect(await page.locator('#progress').getAttribute('value')).toBe('100');
    // Stages are named for the author, not by the contract's ids.
    const shown = await page.evaluate(() => (globalThis as unknown as { shown: string[] }).shown);
    expect(
      shown.some((t) =>
        /^(Fetching the inputs|Analysing the voice and the face|Rendering|Encoding the video|Uploading) · \d+ %/.test(
          t,
        ),
      ),
    ).toBe(true);
    expect(shown.filter((t) => /^(fetch|analyse|render|encode|upload) ·/.test(t))).toEqual([]);
    await page.close();
  });
});
