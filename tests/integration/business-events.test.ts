import { Writable } from 'node:stream';
import type { ToolConfig } from '../../lti-tool/src/config.js';
import { startTool, toolLogger, type RunningTool } from '../../lti-tool/src/server.js';
import { ReferencePlatform } from '../../reference-platform/src/reference-platform.js';
import { createTestDatabase, toolConfig } from '../helpers/farm.js';
import { launch, publishLesson } from '../helpers/lti.js';
import { makeSpeech } from '../helpers/speech.js';
import { watchedToTheEnd } from '../helpers/progress.js';

/**
 * One structured log line per business event, with ids and no secrets: a platform registered and
 * checked, a launch, a render submitted, started and done (and the node's job started and done), a score
 * delivered. The tool logs into this test (pino, JSON lines); the render node to its own output.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let config: ToolConfig;
let tool: RunningTool;
let platform: ReferencePlatform;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  config = await toolConfig({ VT_DATABASE_URL: db.url });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n'))
        if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  // The tool's own logger (its redaction), at info, into this test.
  tool = await startTool(config, toolLogger({ ...config, VT_LOG_LEVEL: 'info' }, sink));
  platform = await new ReferencePlatform().start();
});

afterAll(async () => {
  await platform?.close();
  await tool?.close();
  await db?.drop();
});

const events = (name: string): Record<string, unknown>[] => lines.filter((l) => l.event === name);

describe('business events in the log', () => {
  it('registration, launch, render, node job and grade each log one line with their ids', async () => {
    // Registered the way an LMS does it: the one-time URL, the page, the button.
    const invite = await tool.invites.mint('ops', 1);
    const page = new URL(platform.dynamicRegistrationUrl(invite.url));
    const registered = await fetch(`${tool.url}${page.pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        openid_configuration: page.searchParams.get('openid_configuration')!,
        registration_token: page.searchParams.get('registration_token')!,
      }),
    });
    expect(registered.status).toBe(200);
    expect(events('registration')).toEqual([
      expect.objectContaining({ issuer: platform.issuer, platformId: expect.any(String) }),
    ]);
    // The connection check that follows a registration logs its outcome, step by step.
    const checked = Date.now() + 30_000;
    while (!events('platform-check').length) {
      if (Date.now() > checked) throw new Error('no platform-check event');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(events('platform-check')).toEqual([
      expect.objectContaining({
        platformId: events('registration')[0]!.platformId,
        by: 'registration',
        passed: true,
        steps: { keyset: 'passed', token: 'passed', roster: 'skipped' },
      }),
    ]);
    const reg = [...platform.tools.values()].at(-1)!;
    reg.active = true;

    const speech = await makeSpeech([{ say: 'Every event is logged once.' }]);
    const { lessonId, renderId, activityId } = await publishLesson(tool, platform, reg, {
      queuePrefix: config.VT_QUEUE_PREFIX,
      title: 'Logged lesson',
      audio: speech.path,
    });
    expect(events('launch')).toEqual([
      expect.objectContaining({
        role: 'instructor',
        messageType: 'LtiDeepLinkingRequest',
        tenantId: expect.any(String),
      }),
    ]);
    const render = events('render').filter((e) => e.renderId === renderId);
    expect(render.map((e) => e.state)).toEqual(['submitted', 'started', 'done']);
    expect(render[0]).toMatchObject({ lessonId, engine: 'preview' });

    // A learner watches it all: a Completed score reaches the platform, and is logged delivered.
    const learner = await launch(tool, platform, {
      clientId: reg.clientId,
      userId: '7',
      kind: 'resource',
      contextId: '101',
      resourceLinkId: activityId,
    });
    expect(events('launch').at(-1)).toMatchObject({ role: 'learner', lessonId });
    const duration = Number(render[2]!.videoSec);
    await watchedToTheEnd(tool.url, { session: learner.session!, lessonId, durationSec: duration });
    const deadline = Date.now() + 30_000;
    while (!events('grade').some((e) => e.userId === '7' && e.msg === 'score delivered')) {
      if (Date.now() > deadline) throw new Error(`no grade event: ${JSON.stringify(events('grade'))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(events('grade').at(-1)).toMatchObject({ lessonId, userId: '7' });

    // No secrets: no session token, registration token or URL, ltik, cookie or bearer token.
    const text = JSON.stringify(lines);
    expect(text).not.toContain(learner.session!);
    expect(text).not.toContain(page.searchParams.get('registration_token')!);
    expect(text).not.toContain(invite.url.split('/').pop()!);
    for (const secret of [/ltik=ey/, /Bearer /, /"cookie":"(?!\[Redacted\])/, /vt_lti_/, /sig=[0-9a-f]/])
      expect(
        lines.filter((l) => secret.test(JSON.stringify(l))).map((l) => JSON.stringify(l).slice(0, 300)),
      ).toEqual([]);
  });
});
