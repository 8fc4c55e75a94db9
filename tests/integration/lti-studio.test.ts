import { decodeProtectedHeader } from 'jose';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { CLAIM } from '../../lti-tool/src/lti/lti-claims.js';
import type { ReferencePlatform, ToolRegistration } from '../../reference-platform/src/reference-platform.js';
import { ApiClient, tenantClient } from '../helpers/farm.js';
import { launch, registerManually, startLtiStack, type LtiStack } from '../helpers/lti.js';
import { PORTRAIT } from '../helpers/paths.js';
import { makeSpeech } from '../helpers/speech.js';

/**
 * Deep linking end to end over HTTP with the REFERENCE PLATFORM SIMULATOR, a real render node, Redis
 * and PostgreSQL: the studio's calls, publishing, the learner's player, and what each role and course
 * may not do.
 */
let stack: LtiStack;
let tool: RunningTool;
let platform: ReferencePlatform;
let reg: ToolRegistration;
let studio: ApiClient;
let renderId: string;
let activityId: string;

beforeAll(async () => {
  stack = await startLtiStack('lti-node');
  ({ tool, platform } = stack);
  reg = await registerManually(tool, platform);
});

afterAll(() => stack?.stop());

const intent = (user: string, kind: 'deeplink' | 'resource', context = '101', activity?: string) => ({
  clientId: reg.clientId,
  userId: user,
  kind,
  contextId: context,
  resourceLinkId: activity,
});

const publish = (fields: Record<string, string>): Promise<Response> =>
  fetch(`${tool.url}/lti/studio/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });

describe('the studio through deep linking (reference platform simulator)', () => {
  it('an instructor uploads, sees the face, renders and publishes; the platform gets a valid signed response', async () => {
    const l = await launch(tool, platform, intent('3', 'deeplink'));
    expect(l.status).toBe(200);
    studio = new ApiClient(tool.url, l.session!);
    const portrait = await studio.upload('portrait', PORTRAIT);
    const face = (await (await studio.fetch(`/api/studio/faces/${portrait.sha256}`)).json()) as {
      face: { x1: number; x2: number };
      imageWidth: number;
    };
    expect(face.face.x2).toBeGreaterThan(face.face.x1);
    expect(face.face.x2).toBeLessThanOrEqual(face.imageWidth);
    const speech = await makeSpeech([{ say: 'Lift with your legs, not with your back.' }]);
    const audio = await studio.upload('audio', speech.path);
    const submitted = await studio.submit({
      title: 'Lifting safely',
      portrait: portrait.sha256,
      audio: audio.sha256,
      size: '384*256',
      prompt: 'A trainer in a warehouse',
    });
    const done = await studio.waitFor(submitted.id, ['done', 'failed']);
    expect(done.state).toBe('done');
    renderId = done.id;

    // Rotated just before: the platform must find the new key in our keyset.
    const { kid } = await tool.keys.rotate();
    const answer = await publish({
      session: l.session!,
      renderId,
      title: 'Lifting safely',
      text: 'Two minutes on lifting',
      scoreMaximum: '10',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-security-policy')).toContain(`form-action 'self' ${platform.url}`);
    const page = await answer.text();
    const action = /<form id="deep-link-response" method="post" action="([^"]+)"/.exec(page)![1]!;
    const jwt = /name="JWT" value="([^"]+)"/.exec(page)![1]!;
    expect(decodeProtectedHeader(jwt).kid).toBe(kid);
    const back = await fetch(action.replaceAll('&#38;', '&'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ JWT: jwt }),
    });
    expect(platform.refusedResponses).toEqual([]);
    expect(back.status).toBe(200);
    const response = platform.deepLinkResponses.at(-1)!;
    expect(response[CLAIM.messageType]).toBe('LtiDeepLinkingResponse');
    const [item] = response[CLAIM.contentItems] as Array<Record<string, unknown>>;
    expect(item).toMatchObject({
      type: 'ltiResourceLink',
      title: 'Lifting safely',
      text: 'Two minutes on lifting',
      custom: { lesson_id: done.lessonId },
      lineItem: { scoreMaximum: 10, label: 'Lifting safely', resourceId: done.lessonId },
    });
    const activity = [...platform.activities.values()].at(-1)!;
    activityId = activity.id;
    expect(platform.lineItems.get(activity.lineItemId!)).toMatchObject({
      scoreMaximum: 10,
      contextId: '101',
    });
  });

  it('a learner launch of the activity gets the player with signed media that plays', async () => {
    const l = await launch(tool, platform, intent('4', 'resource', '101', activityId));
    expect(l.status).toBe(200);
    expect(l.html).toMatch(/<video\s+id="player"/);
    expect(l.html).not.toContain('Render status');
    const mp4 = /<source src="([^"]+lesson\.mp4)"/.exec(l.html)![1]!.replaceAll('&#38;', '&');
    const res = await fetch(mp4, { headers: { range: 'bytes=0-99' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-type')).toBe('video/mp4');
  });

  it('an instructor launch of the activity shows the render status, and re-renders and publishes a new version', async () => {
    const l = await launch(tool, platform, intent('3', 'resource', '101', activityId));
    expect(l.html).toContain('data-render-state="done"');
    // The edit form starts from the latest render: its prompt, engine and size.
    expect(l.html).toMatch(/<form id="rerender" novalidate data-lesson="[0-9a-f-]{36}">/);
    expect(l.html).toMatch(/<textarea id="prompt" name="prompt"[^>]*>A trainer in a warehouse<\/textarea>/);
    expect(l.html).toMatch(/<option selected>384\*256<\/option>/);
    const lessonId = /data-lesson="([^"]+)"/.exec(l.html)![1]!;
    const portrait = /name="portrait" value="([0-9a-f]{64})"/.exec(l.html)![1]!;
    const audio = /name="audio" value="([0-9a-f]{64})"/.exec(l.html)![1]!;

    // What player.js does: a new version of the same lesson, then publish it.
    const instructor = new ApiClient(tool.url, l.session!);
    const submitted = await instructor.submit({
      lessonId,
      title: 'Lifting safely, v2',
      portrait,
      audio,
      size: '384*256',
      prompt: 'A trainer in a loading bay',
    });
    expect(submitted.lessonId).toBe(lessonId);
    const publishVersion = (api: ApiClient, id: string, body: object) =>
      api.fetch(`/api/lessons/${id}/published`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // Not finished yet, or a render of another lesson: nothing changes.
    expect((await publishVersion(instructor, lessonId, { renderId: submitted.id, title: 'x' })).status).toBe(
      404,
    );
    const v2 = await instructor.waitFor(submitted.id, ['done', 'failed']);
    expect(v2.state).toBe('done');
    const learnerLaunch = await launch(tool, platform, intent('4', 'resource', '101', activityId));
    expect(
      (
        await publishVersion(new ApiClient(tool.url, learnerLaunch.session!), lessonId, {
          renderId: v2.id,
          title: 'x',
        })
      ).status,
    ).toBe(401);
    const other = await launch(tool, platform, intent('3', 'deeplink', '102'));
    expect(
      (
        await publishVersion(new ApiClient(tool.url, other.session!), lessonId, {
          renderId: v2.id,
          title: 'x',
        })
      ).status,
    ).toBe(404);
    const ok = await publishVersion(instructor, lessonId, { renderId: v2.id, title: 'Lifting safely, v2' });
    expect(ok.status).toBe(200);

    const learner = await launch(tool, platform, intent('4', 'resource', '101', activityId));
    expect(learner.html).toContain('<h1>Lifting safely, v2</h1>');
    expect(learner.html).toContain(`/media/renders/${v2.id}/`);
    expect(learner.html).not.toContain(`/media/renders/${renderId}/`);
  });

  it('an instructor adds a Mandarin version from its script; learners get the language choice; refusals change nothing', async () => {
    const l = await launch(tool, platform, intent('3', 'resource', '101', activityId));
    const lessonId = /<form id="dub" novalidate data-lesson="([0-9a-f-]{36})"/.exec(l.html)![1]!;
    // A recorded lesson's language is unstated: both script languages may be added.
    expect(l.html).toMatch(
      /<select id="language" name="language">\s*<option value="en" selected>English<\/option>\s*<option value="zh" >中文（普通话）<\/option>/,
    );
    const portrait = /name="portrait" value="([0-9a-f]{64})"/.exec(l.html)![1]!;
    const instructor = new ApiClient(tool.url, l.session!);
    const languages = (path = '', init: RequestInit = {}) =>
      instructor.fetch(`/api/lessons/${lessonId}/languages${path}`, {
        ...init,
        headers: { 'content-type': 'application/json' },
      });
    const publishAs = (api: ApiClient, renderId: string) =>
      api.fetch(`/api/lessons/${lessonId}/languages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ renderId }),
      });

    const dub = await instructor.submit({
      lessonId,
      title: 'Lifting safely, v2',
      portrait,
      narration: {
        script: '# 抬举\n\n用腿发力，不要用腰。\n\n# 搬运\n\n重物贴近身体。',
        language: 'zh',
        voice: 'espeak-ng/cmn',
      },
      size: '384*256',
    });
    // Not finished yet: refused.
    expect((await publishAs(instructor, dub.id)).status).toBe(404);
    const done = await instructor.waitFor(dub.id, ['done', 'failed']);
    expect(done.state).toBe('done');
    expect(done.media!.captions).toMatchObject({ language: 'zh' });

    // A recorded render is no language version; a learner, another course, bad bodies: refused.
    const recorded = /\/media\/renders\/([0-9a-f-]{36})\//.exec(l.html)![1]!;
    const notNarrated = await publishAs(instructor, recorded);
    expect(notNarrated.status).toBe(422);
    expect(await notNarrated.json()).toMatchObject({ problem: 'not-narrated' });
    const learnerLaunch = await launch(tool, platform, intent('4', 'resource', '101', activityId));
    expect((await publishAs(new ApiClient(tool.url, learnerLaunch.session!), dub.id)).status).toBe(401);
    const other = await launch(tool, platform, intent('3', 'deeplink', '102'));
    expect((await publishAs(new ApiClient(tool.url, other.session!), dub.id)).status).toBe(404);
    expect((await languages('', { method: 'POST', body: '{"renderId":"x"}' })).status).toBe(400);
    expect(await (await languages()).json()).toEqual({ languages: [] });

    const published = await publishAs(instructor, dub.id);
    expect(published.status).toBe(200);
    expect(await published.json()).toEqual({ lessonId, language: 'zh', renderId: dub.id });
    expect(await (await languages()).json()).toEqual({ languages: [{ language: 'zh', renderId: dub.id }] });

    // A learner in a Mandarin LMS starts in Mandarin, with its captions and chapters; the original is offered.
    const zhLearner = await launch(tool, platform, intent('4', 'resource', '101', activityId), {
      claims: (c) => ({ ...c, [CLAIM.launchPresentation]: { locale: 'zh-CN' } }),
    });
    const page = zhLearner.html;
    expect(page).toMatch(/<option\s+value="original"\s+data-media="[^"]+"/);
    expect(page).toMatch(/<option\s+value="zh"\s+selected/);
    expect(page).toContain(`<source src="${tool.url}/media/renders/${dub.id}/`);
    expect(page).toMatch(/<track\s+kind="captions"\s+src="[^"]+captions\.zh\.vtt"\s+srclang="zh"/);
    expect(page).toMatch(/<span>搬运<\/span>/);
    // Its time map runs from the dub's start and end onto the lesson's, through both chapters' starts
    // only when the lesson has as many (a recording has none): here just the two ends.
    const map = JSON.parse(/id="player"[^>]*data-map="([^"]+)"/.exec(page)![1]!.replaceAll('&#34;', '"')) as [
      number,
      number,
    ][];
    expect(map).toHaveLength(2);
    expect(map[0]).toEqual([0, 0]);
    expect(map[1]![0]).toBeCloseTo(done.media!.durationSec, 2);
    const captions = /src="([^"]+captions\.zh\.vtt)"/.exec(page)![1]!.replaceAll('&#38;', '&');
    const vtt = await (await fetch(captions)).text();
    expect(vtt).toContain('用腿发力，不要用腰。');
    // An English LMS starts in the original.
    expect((await launch(tool, platform, intent('4', 'resource', '101', activityId))).html).toMatch(
      /<option\s+value="original"\s+selected/,
    );

    // Withdrawn: the choice is gone; withdrawing again finds nothing.
    expect((await languages('/zh', { method: 'DELETE' })).status).toBe(204);
    expect((await languages('/zh', { method: 'DELETE' })).status).toBe(404);
    const after = await launch(tool, platform, intent('4', 'resource', '101', activityId));
    expect(after.html).not.toContain('version-language');
    expect(after.html).not.toContain(dub.id);
  });

  it('a learner session cannot call the studio API', async () => {
    const l = await launch(tool, platform, intent('4', 'resource', '101', activityId));
    const learner = new ApiClient(tool.url, l.session!);
    expect((await learner.fetch(`/api/renders/${renderId}`)).status).toBe(401);
    expect((await learner.fetch('/api/renders', { method: 'POST' })).status).toBe(401);
    const res = await publish({ session: l.session!, renderId, title: 'x' });
    expect(res.status).toBe(403);
  });

  it("another course's instructor sees neither the render nor the lesson of this course", async () => {
    const other = await launch(tool, platform, intent('3', 'deeplink', '102'));
    const api = new ApiClient(tool.url, other.session!);
    expect((await api.fetch(`/api/renders/${renderId}`)).status).toBe(404);
    expect((await publish({ session: other.session!, renderId, title: 'Stolen' })).status).toBe(404);
    // A launch from course 102 that names course 101's lesson finds nothing.
    const foreign = await launch(tool, platform, intent('4', 'resource', '102', activityId));
    expect(foreign.status).toBe(404);
    expect(foreign.html).toContain('LESSON_NOT_FOUND');
  });

  it("another tenant's API key cannot see the render", async () => {
    const stranger = await tenantClient(tool);
    expect((await stranger.fetch(`/api/renders/${renderId}`)).status).toBe(404);
  });

  it('the publish form cannot be forged: no session, or an unknown one, publishes nothing', async () => {
    const before = platform.deepLinkResponses.length;
    expect((await publish({ renderId, title: 'Forged' })).status).toBe(400);
    const forged = await publish({ session: 'vt_lti_forged', renderId, title: 'Forged' });
    expect(forged.status).toBe(401);
    expect(await forged.text()).toContain('SESSION_EXPIRED');
    expect(platform.deepLinkResponses.length).toBe(before);
  });
});
