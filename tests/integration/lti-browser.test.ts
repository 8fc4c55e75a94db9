import type { Browser } from 'playwright-core';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { CLAIM } from '../../lti-tool/src/lti/lti-claims.js';
import type { ReferencePlatform } from '../../reference-platform/src/reference-platform.js';
import { launchChromium } from '../helpers/browser.js';
import { startLtiStack, type LtiStack } from '../helpers/lti.js';
import { PORTRAIT } from '../helpers/paths.js';
import { makeSpeech } from '../helpers/speech.js';

/**
 * End to end in headless Chromium (Debian's, through playwright-core) with the REFERENCE LTI PLATFORM
 * SIMULATOR: dynamic registration, an instructor's deep-linking launch through the studio to a
 * published activity, and a learner's launch whose player plays.
 */
let stack: LtiStack;
let tool: RunningTool;
let platform: ReferencePlatform;
let browser: Browser;
/** The activity of the script lesson, dubbed in the next case. */
let scriptActivity: string;

beforeAll(async () => {
  stack = await startLtiStack('browser-node');
  ({ tool, platform } = stack);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('LTI in a real browser (Chromium + reference platform simulator)', () => {
  it('dynamic registration: one URL, one click, the platform has our client and we have its deployment', async () => {
    const page = await browser.newPage();
    // The tool admin's one-time registration URL, pasted into the LMS.
    const invite = await tool.invites.mint('test', 1);
    await page.goto(platform.dynamicRegistrationUrl(invite.url));
    await page.getByRole('button', { name: 'Register with this platform' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').textContent()).toContain('Virtual Tutor is registered');
    const reg = [...platform.tools.values()].at(-1)!;
    expect(reg).toMatchObject({
      loginUrl: `${tool.url}/lti/login`,
      redirectUris: [`${tool.url}/lti/launch`],
      jwksUrl: `${tool.url}/lti/keys`,
      active: false,
    });
    const [ours] = await tool.registry.list();
    expect(ours).toMatchObject({
      issuer: platform.issuer,
      clientId: reg.clientId,
      deploymentIds: [reg.deploymentId],
    });
    reg.active = true; // the Moodle admin's "Activate"
    await page.close();
  });

  it('an instructor generates a lesson in the studio and publishes it; a learner plays it; the instructor publishes a new version', async () => {
    const speech = await makeSpeech([{ say: 'Welcome. Today we learn to stack pallets safely.' }]);
    const page = await browser.newPage();
    await page.goto(`${platform.url}/launch?kind=deeplink&user=3&context=101`);
    await page.getByRole('heading', { name: 'Generate avatar lesson' }).waitFor();
    await page.getByLabel('Title').fill('Stacking pallets');
    // No portrait yet: no empty preview box ([hidden] wins over the box's own display).
    expect(await page.locator('.face-preview').isVisible()).toBe(false);
    await page.getByLabel('Portrait (photo of the presenter)').setInputFiles(PORTRAIT);
    await page.waitForSelector('#face-status[data-face="found"]');
    expect(await page.locator('#face-box').isVisible()).toBe(true);
    // The preview is the chosen file itself (a blob: URL the page's CSP allows), not a broken image.
    expect(
      await page
        .locator('#portrait-img')
        .evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth),
    ).toBeGreaterThan(0);
    // The audio upload runs on change; the studio has it once the upload is answered.
    const uploaded = page.waitForResponse((r) => r.url().endsWith('/api/assets') && r.status() === 201);
    await page.getByLabel('Voice recording').setInputFiles(speech.path);
    await uploaded;
    await page.getByLabel('Scene prompt').fill('A trainer in a warehouse');
    await page.getByLabel('Size').selectOption('384*256');
    await page.getByRole('button', { name: 'Render lesson' }).click();
    await page.locator('#progress-section').waitFor();
    await page.waitForSelector('body[data-render-state="done"]', { timeout: 120_000 });
    expect(await page.locator('#progress').getAttribute('value')).toBe('100');
    await page.getByRole('button', { name: 'Publish to course' }).click();
    await page.getByRole('heading', { name: 'Activity added' }).waitFor();
    expect(platform.refusedResponses).toEqual([]);
    const items = platform.deepLinkResponses.at(-1)![CLAIM.contentItems] as Array<{ title: string }>;
    expect(items[0]!.title).toBe('Stacking pallets');
    const activity = [...platform.activities.values()].at(-1)!;
    await page.close();

    const learner = await browser.newPage();
    await learner.goto(`${platform.url}/launch?activity=${activity.id}&user=4&context=101`);
    await learner.getByRole('heading', { name: 'Stacking pallets' }).waitFor();
    await learner.waitForSelector('body[data-player="ready"]');
    // A recording has no chapters: no empty "Chapters" heading.
    expect(await learner.locator('nav.chapters').isVisible()).toBe(false);
    await learner.locator('#player').evaluate((v) => (v as unknown as { play(): Promise<void> }).play());
    await learner.waitForSelector('body[data-player="playing"]');
    const player = (): Promise<number> =>
      learner.locator('#player').evaluate((v) => (v as unknown as { currentTime: number }).currentTime);
    const deadline = Date.now() + 20_000;
    while ((await player()) < 0.3 && Date.now() < deadline) await learner.waitForTimeout(100);
    expect(await player()).toBeGreaterThanOrEqual(0.3);
    // Keyboard: the player is focusable and space toggles playback.
    await learner.locator('#player').focus();
    expect(await learner.locator('#player').evaluate((v) => v.ownerDocument.activeElement === v)).toBe(true);

    // Watching goes to the gradebook: a pause part-way (Started), then the rest to the end (Completed).
    while ((await player()) < 1 && Date.now() < deadline) await learner.waitForTimeout(100);
    await learner.keyboard.press('Space');
    await learner.locator('#watch-status', { hasText: '%' }).waitFor();
    expect(await learner.locator('#watch-status').textContent()).toMatch(/Watched \d+ %/);
    await learner.locator('#player').evaluate((v) => (v as unknown as { play(): Promise<void> }).play());
    await learner.waitForSelector('body[data-completed="true"]', { timeout: 30_000 });
    expect(await learner.locator('#watch-status').textContent()).toMatch(/Watched 100 % · Completed/);
    const sent = (): Record<string, unknown>[] =>
      platform.scores.filter((x) => x.body.userId === '4').map((x) => x.body);
    for (let wait = Date.now() + 60_000; !sent().some((x) => x.activityProgress === 'Completed');) {
      if (Date.now() > wait) throw new Error(`no Completed score: ${JSON.stringify(sent())}`);
      await learner.waitForTimeout(100);
    }
    expect(sent()[0]).toMatchObject({ activityProgress: 'Started', gradingProgress: 'Pending' });
    expect(sent().at(-1)).toMatchObject({
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
      scoreGiven: 100,
      scoreMaximum: 100,
    });
    expect(platform.scores.at(-1)!.lineItemId).toBe(activity.lineItemId);
    await learner.close();

    // The instructor edits it from the activity: a new version, followed live, previewed, published.
    const teacher = await browser.newPage();
    await teacher.goto(`${platform.url}/launch?activity=${activity.id}&user=3&context=101`);
    await teacher.getByRole('heading', { name: 'Edit and re-render' }).waitFor();
    expect(await teacher.getByLabel('Scene prompt').inputValue()).toBe('A trainer in a warehouse');
    await teacher.getByLabel('Title').fill('Stacking pallets, v2');
    await teacher.getByLabel('Scene prompt').fill('A trainer beside a forklift');
    await teacher.getByRole('button', { name: 'Re-render' }).click();
    await teacher.locator('#progress-section').waitFor();
    await teacher.waitForSelector('body[data-render-state="done"]', { timeout: 120_000 });
    await teacher.getByRole('button', { name: 'Publish this version' }).click();
    await teacher.waitForSelector('body[data-published]');
    expect(await teacher.getByRole('status').last().textContent()).toContain('Published');
    const version = await teacher.locator('body').getAttribute('data-published');
    await teacher.close();
    const again = await browser.newPage();
    await again.goto(`${platform.url}/launch?activity=${activity.id}&user=4&context=101`);
    await again.getByRole('heading', { name: 'Stacking pallets, v2' }).waitFor();
    expect(await again.locator('#player source[type="video/mp4"]').getAttribute('src')).toContain(
      `/media/renders/${version}/`,
    );
    await again.close();
  });

  it('an author writes a script: hears it, renders it, and learners get its captions and chapters', async () => {
    const page = await browser.newPage();
    await page.goto(`${platform.url}/launch?kind=deeplink&user=3&context=101`);
    await page.getByRole('heading', { name: 'Generate avatar lesson' }).waitFor();
    await page.getByLabel('Title').fill('Fire exits');
    await page.getByLabel('Portrait (photo of the presenter)').setInputFiles(PORTRAIT);
    await page.waitForSelector('#face-status[data-face="found"]');
    await page.getByLabel('Write a script to be spoken').check();
    expect(await page.getByLabel('Voice recording').isVisible()).toBe(false);
    // Nothing to say (only a script tag): a clear error, nothing made.
    await page.getByLabel(/^Script/).fill('<script>alert(1)</script>');
    await page.waitForSelector('#voice option[value="espeak-ng/en-us"]', { state: 'attached' });
    await page.getByRole('button', { name: 'Preview speech' }).click();
    await page.locator('#speech-status', { hasText: 'nothing to say' }).waitFor();
    await page
      .getByLabel(/^Script/)
      .fill('# Exits\n\nKnow two exits. <b>Never</b> take the lift.\n\n# Doors\n\nClose doors behind you.');
    await page.getByLabel('Speaker').selectOption('espeak-ng/en-us');
    await page.getByRole('button', { name: 'Preview speech' }).click();
    await page.waitForSelector('#speech-status[data-previewed="true"]');
    expect(await page.locator('#speech-status').textContent()).toMatch(
      /5 sentences \(5 newly spoken\) · 2 chapters/,
    );
    expect(await page.locator('#speech-preview').isVisible()).toBe(true);
    const heard = await page.locator('#speech-preview').evaluate(
      (a) =>
        new Promise<number>((resolve) => {
          const audio = a as unknown as {
            duration: number;
            readyState: number;
            onloadedmetadata: () => void;
          };
          if (audio.readyState >= 1) resolve(audio.duration);
          else audio.onloadedmetadata = () => resolve(audio.duration);
        }),
    );
    expect(heard).toBeGreaterThan(3);
    await page.getByLabel('Size').selectOption('384*256');
    await page.getByRole('button', { name: 'Render lesson' }).click();
    await page.waitForSelector('body[data-render-state="done"]', { timeout: 120_000 });
    await page.getByRole('button', { name: 'Publish to course' }).click();
    await page.getByRole('heading', { name: 'Activity added' }).waitFor();
    const activity = [...platform.activities.values()].at(-1)!;
    scriptActivity = activity.id;
    await page.close();

    const learner = await browser.newPage();
    await learner.goto(`${platform.url}/launch?activity=${activity.id}&user=5&context=101`);
    await learner.getByRole('heading', { name: 'Fire exits' }).waitFor();
    await learner.waitForSelector('body[data-player="ready"]');
    expect(await learner.locator('#player track[kind="captions"]').getAttribute('srclang')).toBe('en');
    // The captions track is on and its cues load: the script's sentences, the tags gone.
    type Tracks = {
      textTracks: ArrayLike<{
        kind: string;
        mode: string;
        cues: ArrayLike<{ text: string; startTime: number }> | null;
      }>;
    };
    const cues = async (): Promise<{ mode: string; texts: string[] }> =>
      learner.locator('#player').evaluate((v) => {
        const track = Array.from((v as unknown as Tracks).textTracks).find((t) => t.kind === 'captions')!;
        return { mode: track.mode, texts: Array.from(track.cues ?? []).map((c) => c.text) };
      });
    for (const until = Date.now() + 60_000; (await cues()).texts.length === 0 && Date.now() < until;)
      await learner.waitForTimeout(100);
    expect(await cues()).toEqual({
      mode: 'showing',
      texts: ['Exits', 'Know two exits.', 'Never take the lift.', 'Doors', 'Close doors behind you.'],
    });
    // Chapters: a button per heading; the second moves the lesson to its start.
    await learner.getByRole('navigation', { name: 'Chapters' }).waitFor();
    const doors = learner.getByRole('button', { name: /Doors/ });
    const start = Number(await doors.getAttribute('data-start'));
    expect(start).toBeGreaterThan(1);
    await doors.click();
    const at = await learner
      .locator('#player')
      .evaluate((v) => (v as unknown as { currentTime: number }).currentTime);
    expect(at).toBeGreaterThanOrEqual(start - 0.1);
    await learner.close();
  });
  it('the instructor dubs the lesson into Mandarin; a learner switches language and keeps their place', async () => {
    const teacher = await browser.newPage();
    await teacher.goto(`${platform.url}/launch?activity=${scriptActivity}&user=3&context=101`);
    await teacher.getByRole('heading', { name: 'Language versions' }).waitFor();
    // The lesson speaks English: Mandarin is the language left to add, with its own speakers.
    expect(await teacher.locator('#language option').allTextContents()).toEqual(['中文（普通话）']);
    await teacher.waitForSelector('#voice option[value="espeak-ng/cmn"]', { state: 'attached' });
    await teacher.getByRole('button', { name: 'Render language version' }).click();
    await teacher.locator('#dub-error', { hasText: 'Paste the translated script' }).waitFor();
    await teacher.getByLabel(/^Script/).fill('# 出口\n\n记住两个出口。不要乘电梯。\n\n# 门\n\n随手关门。');
    await teacher.getByRole('button', { name: 'Render language version' }).click();
    await teacher.waitForSelector('body[data-render-state="done"]', { timeout: 120_000 });
    expect(await teacher.getByRole('button', { name: 'Publish this version', exact: true }).isVisible()).toBe(
      false,
    );
    await teacher.getByRole('button', { name: 'Publish this language version' }).click();
    await teacher.waitForSelector('body[data-published-language="zh"]');
    // The lesson's own language cannot be published as a language version of it.
    const token = (await teacher.locator('meta[name="vt-session"]').getAttribute('content'))!;
    const lessonId = (await teacher.locator('#dub').getAttribute('data-lesson'))!;
    const english = /\/media\/renders\/([0-9a-f-]{36})\//.exec(
      (await teacher.locator('#player source').first().getAttribute('src'))!,
    )![1]!;
    const same = await fetch(`${tool.url}/api/lessons/${lessonId}/languages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ renderId: english }),
    });
    expect(same.status).toBe(409);
    expect(await same.json()).toMatchObject({ problem: 'same-language' });
    await teacher.close();

    const learner = await browser.newPage();
    const open = () => learner.goto(`${platform.url}/launch?activity=${scriptActivity}&user=6&context=101`);
    await open();
    await learner.waitForSelector('body[data-player="ready"]');
    const choice = learner.getByLabel('Language');
    expect(await choice.inputValue()).toBe('en');
    expect(
      (await learner.locator('#version-language option').allTextContents()).map((o) => o.trim()),
    ).toEqual(['English', '中文（普通话）']);
    // Into the second chapter in English, then switch.
    const enDoors = Number(await learner.getByRole('button', { name: /Doors/ }).getAttribute('data-start'));
    await learner.getByRole('button', { name: /Doors/ }).click();
    await learner.waitForSelector('body[data-player="playing"]');
    await choice.selectOption('zh');
    await learner.waitForSelector('body[data-language="zh"]');
    type Player = {
      currentTime: number;
      duration: number;
      paused: boolean;
      pause(): void;
      textTracks: ArrayLike<{
        kind: string;
        mode: string;
        language: string;
        cues: ArrayLike<{ text: string }> | null;
      }>;
    };
    const state = () =>
      learner.locator('#player').evaluate((v) => {
        const p = v as unknown as Player;
        const track = Array.from(p.textTracks).find((t) => t.kind === 'captions');
        return {
          at: p.currentTime,
          duration: p.duration,
          captions: track && {
            mode: track.mode,
            language: track.language,
            texts: Array.from(track.cues ?? []).map((c) => c.text),
          },
        };
      });
    for (const until = Date.now() + 60_000; !(await state()).captions?.texts.length && Date.now() < until;)
      await learner.waitForTimeout(100);
    const zh = await state();
    expect(zh.captions).toEqual({
      mode: 'showing',
      language: 'zh',
      texts: ['出口', '记住两个出口。', '不要乘电梯。', '门', '随手关门。'],
    });
    // The same place: the start of the second chapter, now in Mandarin.
    const zhDoors = Number(await learner.getByRole('button', { name: /门/ }).getAttribute('data-start'));
    expect(zhDoors).not.toBeCloseTo(enDoors, 1);
    expect(zh.at).toBeGreaterThanOrEqual(zhDoors - 0.1);
    expect(zh.at).toBeLessThan(zhDoors + 2);
    expect(await learner.getByRole('button', { name: /Doors/ }).count()).toBe(0);
    // Watching in Mandarin is progress on the lesson's timeline: a new visit resumes in chapter two.
    await learner.waitForSelector('body[data-player="playing"]');
    await learner.waitForTimeout(1000);
    // However long it really played (a loaded machine plays on while the test waits), it stops here.
    const pausedAt = await learner.locator('#player').evaluate((v) => {
      const p = v as unknown as Player;
      p.pause();
      return p.currentTime;
    });
    const played = pausedAt - zhDoors;
    await learner.waitForSelector('#watch-status[data-coverage]');
    await open();
    await learner.waitForSelector('body[data-player="ready"]');
    const resume = Number(await learner.locator('#watch-status').getAttribute('data-resume'));
    // As far into the English chapter as was played in Mandarin: mapped, not the Mandarin time
    // (which is later).
    expect(resume).toBeGreaterThan(enDoors);
    expect(resume).toBeLessThan(enDoors + Math.max(0, played) + 1.5);
    expect(resume).toBeLessThan(pausedAt);
    expect(resume).toBeLessThan((await state()).duration);
    await learner.close();
  });
});
