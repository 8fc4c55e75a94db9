import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { ReferencePlatform } from '../../reference-platform/src/reference-platform.js';
import { ApiClient, createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';
import { launch, publishLesson, registerManually } from '../helpers/lti.js';
import { makeSpeech } from '../helpers/speech.js';

/**
 * Questions inside a lesson, end to end in headless Chromium with the REFERENCE PLATFORM SIMULATOR:
 * the player stops at a question and asks it in a modal dialog, a wrong answer gets its feedback and
 * a second try, a required question cannot be skipped (Escape, or seeking past it), and the gradebook
 * gets watching and questions together once the lesson is complete.
 */
let db: { url: string; drop(): Promise<void> };
let tool: RunningTool;
let platform: ReferencePlatform;
let browser: Browser;
let lessonId: string;
let activityId: string;

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
  ({ lessonId, activityId } = await publishLesson(tool, platform, reg, {
    queuePrefix: config.VT_QUEUE_PREFIX,
    title: 'Clear aisles',
    audio: speech.path,
  }));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await platform?.close();
  await tool?.close();
  await db?.drop();
});

interface Media {
  play(): Promise<void>;
  readonly paused: boolean;
  currentTime: number;
  readonly duration: number;
}
const play = (page: Page) => page.locator('#player').evaluate((v) => (v as unknown as Media).play());
const paused = (page: Page) => page.locator('#player').evaluate((v) => (v as unknown as Media).paused);
const time = (page: Page) => page.locator('#player').evaluate((v) => (v as unknown as Media).currentTime);
const seek = (page: Page, to: number | 'end') =>
  page.locator('#player').evaluate((v, t) => {
    const m = v as unknown as Media;
    m.currentTime = t === 'end' ? m.duration - 0.3 : t;
  }, to);

describe('questions in the player (Chromium + reference platform simulator)', () => {
  it("the instructor adds questions in the lesson's page; what does not validate is said, per question", async () => {
    const page = await browser.newPage();
    await page.goto(`${platform.url}/launch?activity=${activityId}&user=3&context=101`);
    const section = page.getByRole('region', { name: 'Questions' });
    await section.waitFor();
    await page.waitForSelector('#questions-section[data-loaded="0"]');
    await section.getByLabel('Answers allowed per question').fill('2');

    await section.getByRole('button', { name: 'Add a question' }).click();
    const first = section.getByRole('group', { name: 'Question 1' });
    await first.getByLabel('Time in the lesson (m:ss)').fill('0:01');
    await first.getByLabel('Question text').fill('Where do pallets stay?');
    const choices = first.locator('.choice-item');
    await choices.nth(0).getByLabel('Choice').fill('In the aisle');
    await choices.nth(0).getByLabel('Right answer').uncheck();
    await choices.nth(0).getByLabel('Feedback when chosen').fill('Aisles stay clear.');
    await choices.nth(1).getByLabel('Choice').fill('Behind the yellow line');
    await choices.nth(1).getByLabel('Right answer').check();

    await section.getByRole('button', { name: 'Add a question' }).click();
    const second = section.getByRole('group', { name: 'Question 2' });
    await second.getByLabel('Time in the lesson (m:ss)').fill('0:02.5');
    await second.getByLabel('Kind').selectOption('truefalse');
    expect(await second.getByLabel('Choice').first().isVisible()).toBe(false); // no choices for true/false
    await second.getByLabel('The statement is').selectOption('false');
    await second.getByLabel('Points').fill('2');

    // No question text yet: the tool refuses the set and the page says which question.
    await section.getByRole('button', { name: 'Save questions' }).click();
    await section.getByRole('alert').filter({ hasText: 'question 2' }).waitFor();
    await second.getByLabel('Question text').fill('Fire doors may be propped open.');
    await section.getByRole('button', { name: 'Save questions' }).click();
    await page.waitForSelector('body[data-questions-saved="2"]');
    expect(await section.getByRole('status').textContent()).toContain('Saved: 2 question(s)');
    await page.close();

    const author = await launch(tool, platform, {
      clientId: [...platform.tools.values()][0]!.clientId,
      userId: '3',
      kind: 'resource',
      contextId: '101',
      resourceLinkId: activityId,
    });
    const saved = (await (
      await new ApiClient(tool.url, author.session!).fetch(`/api/lessons/${lessonId}/questions`)
    ).json()) as Record<string, unknown>;
    expect(saved).toMatchObject({
      attempts: { max: 2, counts: 'best' },
      watchingWeight: 0.3,
      passThreshold: 0.6,
      questions: [
        {
          kind: 'single',
          at: 1,
          prompt: 'Where do pallets stay?',
          points: 1,
          required: true,
          choices: [
            { text: 'In the aisle', correct: false, feedback: 'Aisles stay clear.' },
            { text: 'Behind the yellow line', correct: true },
          ],
        },
        { kind: 'truefalse', at: 2.5, prompt: 'Fire doors may be propped open.', answer: false, points: 2 },
      ],
    });
  });

  it('asks at its time, takes a wrong then a right answer, cannot be skipped, and grades the lesson with both', async () => {
    const page = await browser.newPage();
    await page.goto(`${platform.url}/launch?activity=${activityId}&user=4&context=101`);
    await page.waitForSelector('body[data-questions="2"]');
    await page.waitForSelector('body[data-player="ready"]');
    await play(page);

    // The player stops at 1 s and asks; the dialog is named by the question and holds the focus.
    await page.waitForSelector('body[data-asking]');
    const dialog = page.getByRole('dialog', { name: 'Where do pallets stay?' });
    await dialog.waitFor();
    expect(await paused(page)).toBe(true);
    expect(await time(page)).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#question').evaluate((d) => d.contains(d.ownerDocument.activeElement))).toBe(
      true,
    );
    // A required question stays: Escape does not close it, and there is no Skip.
    await page.keyboard.press('Escape');
    expect(await dialog.isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Skip this question' }).isVisible()).toBe(false);

    // Wrong first: its feedback and a second try; then right, and on with the lesson.
    await dialog.getByLabel('In the aisle').check();
    await dialog.getByRole('button', { name: 'Answer' }).click();
    await page.waitForSelector('body[data-answered$=":false"]');
    expect(await page.locator('#question-feedback').textContent()).toMatch(
      /Not correct\. Aisles stay clear\. Try again \(1 left\)/,
    );
    await dialog.getByLabel('Behind the yellow line').check();
    await dialog.getByRole('button', { name: 'Answer' }).click();
    await page.waitForSelector('body[data-answered$=":true"]');
    expect(await page.locator('#question-feedback').textContent()).toContain('Correct.');
    await dialog.getByRole('button', { name: 'Continue the lesson' }).click();
    await page.waitForSelector('body:not([data-asking])');
    expect(await paused(page)).toBe(false);

    // Seeking past the next required question lands on it, and it is asked there.
    await seek(page, 'end');
    await page.getByRole('dialog', { name: 'Fire doors may be propped open.' }).waitFor();
    const at = await time(page);
    expect(at).toBeGreaterThanOrEqual(2.4);
    expect(at).toBeLessThan(3);
    await page.getByLabel('False').check();
    await page.getByRole('button', { name: 'Answer' }).click();
    await page.waitForSelector('body[data-answered$=":true"]');
    await page.getByRole('button', { name: 'Continue the lesson' }).click();

    // The whole lesson watched (answered questions are not asked again): complete, and graded with both.
    await seek(page, 0);
    await play(page);
    await page.waitForSelector('body[data-completed="true"]', { timeout: 60_000 });
    expect(await page.locator('body').getAttribute('data-asking')).toBeNull();
    const sent = () => platform.scores.filter((s) => s.body.userId === '4').map((s) => s.body);
    for (let wait = Date.now() + 60_000; !sent().some((s) => s.activityProgress === 'Completed');) {
      if (Date.now() > wait) throw new Error(`no Completed score: ${JSON.stringify(sent())}`);
      await page.waitForTimeout(100);
    }
    const completed = sent().find((s) => s.activityProgress === 'Completed')!;
    expect(completed).toMatchObject({ gradingProgress: 'FullyGraded', scoreMaximum: 100 });
    // Both questions right (3 of 3 points) and the lesson watched: 0.3 × coverage + 0.7.
    expect(completed.comment).toContain('questions 3/3 points');
    expect(completed.scoreGiven).toBeGreaterThanOrEqual(70 + 0.3 * 90);
    await page.close();

    // The instructor sees how the question went: from the activity to the dashboard, one lesson in view.
    const teacher = await browser.newPage();
    await teacher.goto(`${platform.url}/launch?activity=${activityId}&user=3&context=101`);
    await teacher.getByRole('button', { name: 'Completion dashboard' }).click();
    await teacher.getByLabel('Lesson').selectOption(lessonId);
    await teacher.getByRole('button', { name: 'Filter', exact: true }).click();
    const stats = teacher.getByRole('table', { name: 'Questions' });
    const first = stats.getByRole('row', { name: /Where do pallets stay\?/ });
    await first.waitFor();
    expect((await first.getByRole('cell').allTextContents()).map((c) => c.trim())).toEqual([
      '0:01',
      '1',
      '0 %',
      '100 %',
      'In the aisle (1)',
      expect.stringMatching(/^\d+(\.\d)? s$/),
    ]);
    await teacher.getByRole('img', { name: 'Engagement' }).waitFor();
    await teacher.close();
  });
});
