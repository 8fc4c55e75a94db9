import type { Browser, Page } from 'playwright-core';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { ReferencePlatform } from '../../reference-platform/src/reference-platform.js';
import { launchChromium } from '../helpers/browser.js';
import { createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';
import { publishLesson, registerManually } from '../helpers/lti.js';
import { makeSpeech } from '../helpers/speech.js';

/**
 * Ask the tutor end to end in headless Chromium with the REFERENCE PLATFORM SIMULATOR: a learner
 * launched into a rendered lesson pauses it with a question, gets a cited answer whose clip (the
 * presenter speaking it) plays, clicks the source and the lesson's player seeks there; the answer
 * can be rated, and is in the learner's earlier questions.
 */
let db: { url: string; drop(): Promise<void> };
let tool: RunningTool;
let platform: ReferencePlatform;
let browser: Browser;
let activityId: string;

const SCRIPT =
  'Keep the aisles clear at all times.\n\nPallets stay behind the yellow line, and fire doors stay shut.';
/** Where the second paragraph is spoken in the recording below. */
const SECOND_PART_SEC = 2.5;

beforeAll(async () => {
  db = await createTestDatabase();
  const config = await toolConfig({ VT_DATABASE_URL: db.url });
  tool = await startTestTool(config);
  platform = await new ReferencePlatform().start();
  const reg = await registerManually(tool, platform);
  const speech = await makeSpeech([
    { say: 'Keep the aisles clear at all times.' },
    { silence: 1 },
    { say: 'Pallets stay behind the yellow line, and fire doors stay shut.' },
  ]);
  let lessonId: string;
  let renderId: string;
  ({ lessonId, renderId, activityId } = await publishLesson(tool, platform, reg, {
    queuePrefix: config.VT_QUEUE_PREFIX,
    title: 'Clear aisles',
    audio: speech.path,
    text: 'Only staff holding a forklift licence may drive the forklifts in the warehouse.',
  }));
  // The recording's transcript, timed, as a version made from a transcript keeps it.
  await tool.db.query(
    `UPDATE lesson_versions v SET narration = $2 FROM renders r WHERE r.id = $1 AND v.id = r.version_id`,
    [
      renderId,
      {
        source: 'transcript',
        script: SCRIPT,
        language: 'en',
        captions: 'c'.repeat(64),
        chapterList: [],
        durationSec: 6,
        parts: [0, SECOND_PART_SEC],
      },
    ],
  );
  expect(lessonId).toBeTruthy();
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await platform?.close();
  await tool?.close();
  await db?.drop();
});

interface Media {
  readonly paused: boolean;
  readonly currentTime: number;
  readonly readyState: number;
  play(): Promise<void>;
}
/** The page's document, as the functions run in the page see it (this file is compiled without the DOM). */
interface PageDocument {
  getElementById(id: string): unknown;
}
declare const document: PageDocument;

const media = (page: Page, id: string) =>
  page.locator(`#${id}`).evaluate((v) => {
    const m = v as unknown as Media;
    return { paused: m.paused, currentTime: m.currentTime, readyState: m.readyState };
  });

test('a learner asks, the presenter answers with a playing clip, and the source seeks the lesson', async () => {
  const page = await browser.newPage();
  await page.goto(`${platform.url}/launch?activity=${activityId}&user=7&context=101`);
  const tutor = page.getByRole('region', { name: 'Ask the tutor' });
  await tutor.waitFor();
  await page.locator('#player').evaluate((v) => (v as unknown as Media).play());
  await page.waitForSelector('body[data-player="playing"]');

  await tutor.getByLabel('Your question (pauses the lesson)').fill('Where do pallets stay?');
  await tutor.getByRole('button', { name: 'Ask', exact: true }).click();
  // Asking paused the lesson.
  expect((await media(page, 'player')).paused).toBe(true);
  await page.waitForSelector('#tutor[data-covered="true"]');
  await expect(page.locator('#tutor-text').textContent()).resolves.toMatch(/yellow line.*\[1\]/);

  // The clip streams and plays: its time moves.
  await page.waitForFunction(
    () => {
      const clip = document.getElementById('tutor-video') as unknown as Media | null;
      return !!clip && clip.readyState >= 2 && clip.currentTime > 0.2;
    },
    undefined,
    { timeout: 60_000 },
  );

  // The source names the lesson and where, and seeks the lesson's player there.
  const source = page.locator('#tutor-sources button').first();
  await expect(source.textContent()).resolves.toBe('Clear aisles · 0:02');
  await source.click();
  await page.waitForFunction((at) => {
    const v = document.getElementById('player') as unknown as Media;
    return !v.paused && v.currentTime >= at && v.currentTime < at + 2;
  }, SECOND_PART_SEC);
  expect((await media(page, 'tutor-video')).paused).toBe(true);

  // Rated, and listed among the learner's questions.
  await tutor.getByRole('button', { name: 'Not helpful' }).click();
  await page.waitForSelector('#tutor[data-rated="false"]');
  await tutor.getByText('Your earlier questions').click();
  await expect(tutor.locator('#tutor-history-list button').allTextContents()).resolves.toEqual([
    'Where do pallets stay?',
  ]);

  // Off the course: said so, nothing spoken.
  await tutor.getByLabel('Your question (pauses the lesson)').fill('Who won the world cup in 2018?');
  await tutor.getByRole('button', { name: 'Ask', exact: true }).click();
  await page.waitForSelector('#tutor[data-covered="false"]');
  await expect(page.locator('#tutor-text').textContent()).resolves.toMatch(/does not cover/);
  expect(await page.locator('#tutor-video').isHidden()).toBe(true);

  // The description the instructor published the lesson with is course material too.
  await tutor.getByLabel('Your question (pauses the lesson)').fill('Who may drive a forklift?');
  await tutor.getByRole('button', { name: 'Ask', exact: true }).click();
  await page.waitForSelector('#tutor[data-covered="true"]');
  await expect(page.locator('#tutor-text').textContent()).resolves.toMatch(/forklift licence/);
  await page.close();
}, 120_000);
