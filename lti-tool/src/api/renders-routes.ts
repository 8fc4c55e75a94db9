import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { LIVEAVATAR_SIZES, PREVIEW_SIZES } from '../../../render-node/src/contract/render-sizes.js';
import type { MediaUrls } from '../media/media-urls.js';
import type { RenderBus, RenderUpdate } from '../renders/render-bus.js';
import { OPEN_STATES, type Render, type RenderRepository } from '../renders/render-repository.js';
import type { RenderService } from '../renders/render-service.js';
import { STALLED_MESSAGE } from '../renders/render-reconciler.js';
import type { EnginePresence } from '../renders/engine-presence.js';
import type { NarrationService } from '../narration/narration-service.js';
import { callerOf } from './api-auth.js';
import { captionsName } from '../narration/narration-tracks.js';
import { NarrationInputSchema } from './speech-routes.js';
import { ApiError } from '../web/api-error.js';
import { validate, validOf } from '../web/validate.js';
import { ScriptLanguageSchema } from '../narration/languages.js';
import { IdParams } from '../web/request-schemas.js';
import { jsonAnswer, jsonBody, openApiPath, refusals, type ApiDescription } from './api-description.js';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 from POST /api/assets');

const SubmitSchema = z
  .object({
    lessonId: z.uuid().optional(),
    title: z.string().trim().min(1).max(200).default('Untitled lesson'),
    contextId: z.string().max(255).optional(),
    portrait: sha256,
    /** The voice: a recording (an audio asset), or a script to speak. */
    audio: sha256.optional(),
    narration: NarrationInputSchema.optional(),
    /** For a recording: what it says, timed against it for captions (headings become chapters). */
    transcript: z
      .object({ text: z.string().max(1_000_000), language: ScriptLanguageSchema })
      .strict()
      .optional(),
    engine: z.enum(['preview', 'liveavatar']).default('preview'),
    prompt: z.string().max(4000).default(''),
    size: z.string().default('688*368'),
    fps: z.number().int().min(10).max(60).default(25),
    sampleSteps: z.literal(4).default(4),
    chunkSec: z.number().int().min(2).max(600).multipleOf(2).default(60),
  })
  .strict()
  .refine((b) => (b.audio === undefined) !== (b.narration === undefined), {
    message: 'give either an audio asset or a script to speak, not both',
    path: ['audio'],
  })
  .refine((b) => b.transcript === undefined || b.audio !== undefined, {
    message: 'a transcript goes with a recording (audio); a script is its own transcript',
    path: ['transcript'],
  })
  .refine(
    (b) =>
      (b.engine === 'preview' ? (PREVIEW_SIZES as readonly string[]) : LIVEAVATAR_SIZES).includes(b.size),
    { message: 'this engine does not render that size', path: ['size'] },
  );

const when = z.iso.datetime();
/** What the API shows of a render (`renderView`). */
export const RenderViewSchema = z
  .object({
    id: z.uuid(),
    lessonId: z.uuid(),
    versionId: z.uuid(),
    engine: z.enum(['preview', 'liveavatar']),
    settings: z.object({
      prompt: z.string(),
      size: z.string(),
      fps: z.number().int(),
      sampleSteps: z.number().int(),
      chunkSec: z.number().int(),
    }),
    state: z.enum(['submitted', 'queued', 'active', 'done', 'failed', 'cancelled']),
    progress: z
      .object({
        stage: z.string(),
        percent: z.number(),
        framesDone: z.number().int().optional(),
        framesTotal: z.number().int().optional(),
        etaSec: z.number().optional(),
      })
      .nullable(),
    nodeId: z.string().nullable(),
    stalled: z
      .object({ since: when, message: z.string() })
      .nullable()
      .meta({ description: 'Its node went away and no other node has taken it yet.' }),
    waiting: z
      .object({ reason: z.literal('no-node'), message: z.string() })
      .optional()
      .meta({ description: 'Queued for an engine no online render node offers.' }),
    error: z.string().nullable(),
    notes: z.array(z.string()),
    createdAt: when,
    startedAt: when.nullable(),
    finishedAt: when.nullable(),
    media: z
      .object({
        mp4: z.string(),
        hls: z.string(),
        poster: z.string(),
        durationSec: z.number().optional(),
        captions: z.object({ language: z.string(), url: z.string() }).optional(),
        chapters: z.string().optional(),
      })
      .optional()
      .meta({ description: 'Once done: links signed for the caller, which expire.' }),
    history: z.array(
      z.object({ at: when, kind: z.string(), nodeId: z.string().nullable(), message: z.string() }),
    ),
  })
  .meta({ id: 'Render' });

/** What the API shows of a render. Media links are signed for the caller and expire. */
async function renderView(
  render: Render,
  renders: RenderRepository,
  urls: MediaUrls,
  engines: EnginePresence,
): Promise<object> {
  const base = render.state === 'done' ? urls.playerBase(render.id) : undefined;
  return {
    id: render.id,
    lessonId: render.lessonId,
    versionId: render.versionId,
    engine: render.engine,
    settings: render.settings,
    state: render.state,
    progress: render.progress && {
      stage: render.progress.stage,
      percent: Math.round(render.progress.percent * 10) / 10,
      framesDone: render.progress.framesDone,
      framesTotal: render.progress.framesTotal,
      etaSec: render.progress.etaSec,
    },
    nodeId: render.nodeId,
    // Its node went away and no other has taken it yet (the reconciler noticed at `since`).
    stalled: render.stalledSince && { since: render.stalledSince, message: STALLED_MESSAGE },
    // Queued for an engine no online node offers (say, Live Avatar with no GPU node): it waits.
    waiting: await engines.waiting(render.engine, render.state),
    error: render.error,
    notes: render.result?.notes ?? [],
    createdAt: render.createdAt,
    startedAt: render.startedAt,
    finishedAt: render.finishedAt,
    media: base && {
      mp4: `${base}lesson.mp4`,
      hls: `${base}hls/index.m3u8`,
      poster: `${base}poster.jpg`,
      durationSec: render.result?.durationSec,
      ...(render.narration && {
        captions: { language: render.narration.language, url: `${base}${captionsName(render.narration)}` },
        ...(render.narration.chapters && { chapters: `${base}chapters.vtt` }),
      }),
    },
    history: (await renders.events(render.id)).map((e) => ({
      at: e.at,
      kind: e.kind,
      nodeId: e.nodeId,
      message: e.message,
    })),
  };
}

/** The render API in the OpenAPI document. */
export const describeRendersRoutes: ApiDescription = (r) => {
  const render = jsonAnswer(RenderViewSchema, 'The render as it stands.');
  const params = { params: IdParams };
  r.registerPath({
    method: 'post',
    path: '/api/renders',
    operationId: 'submitRender',
    summary: 'Render a lesson version',
    description:
      'From a portrait and a recording (`audio`) or a script to speak (`narration`). Answered at once ' +
      '(202, `Location` names it); follow it with GET or its events.',
    request: { body: jsonBody(SubmitSchema) },
    responses: { 202: { ...render, description: 'Accepted and queued.' }, ...refusals(400, 401, 422) },
  });
  r.registerPath({
    method: 'get',
    path: openApiPath('/api/renders/:id'),
    operationId: 'getRender',
    summary: 'A render, its progress and (when done) its media',
    request: params,
    responses: { 200: render, ...refusals(400, 401, 404) },
  });
  r.registerPath({
    method: 'post',
    path: openApiPath('/api/renders/:id/cancel'),
    operationId: 'cancelRender',
    summary: 'Cancel a render that has not finished',
    request: params,
    responses: {
      202: { ...render, description: 'Cancelled.' },
      ...refusals(400, 401, 404, 409),
    },
  });
  r.registerPath({
    method: 'get',
    path: openApiPath('/api/renders/:id/events'),
    operationId: 'renderEvents',
    summary: 'A render’s progress as Server-Sent Events',
    description:
      'Events: `render` (the whole render, first), `progress`, `state`, `waiting`, and `end` (the ' +
      'finished render) before the stream closes. Reconnect with `Last-Event-ID` to get the current state.',
    request: params,
    responses: {
      200: {
        description: 'An event stream until the render finishes.',
        content: { 'text/event-stream': { schema: z.string() } },
      },
      ...refusals(400, 401, 404),
    },
  });
};

export interface RendersRoutesDeps {
  readonly service: RenderService;
  readonly renders: RenderRepository;
  readonly urls: MediaUrls;
  readonly bus: RenderBus;
  readonly narration: NarrationService;
  readonly engines: EnginePresence;
}

/**
 * The render API, scoped to the caller's tenant: another tenant's render is "not found", never
 * "forbidden", so ids cannot be probed.
 */
export function rendersRoutes(d: RendersRoutesDeps): Router {
  const router = Router();

  const load = async (req: Request, res: Response): Promise<Render> => {
    const caller = callerOf(req.user);
    const { id } = validOf<unknown, unknown, z.infer<typeof IdParams>>(res).params;
    const render = await d.renders.get(id, caller.tenantId, caller.contextId);
    if (!render) throw ApiError.of('NOT_FOUND', 'No such render.');
    return render;
  };

  router.post(
    '/api/renders',
    validate({ body: SubmitSchema }, 'The render request is not valid.'),
    async (req, res) => {
      const b = validOf<z.output<typeof SubmitSchema>>(res).body;
      // A script is spoken (and its captions stored) first: a version never exists without its voice.
      const tenantId = callerOf(req.user).tenantId;
      const narrated = b.narration && (await d.narration.prepare(tenantId, b.narration));
      // A recording's transcript is timed against it first, likewise.
      const transcribed = b.transcript && (await d.narration.transcribe(tenantId, b.audio!, b.transcript));
      const render = await d.service.submit({
        tenantId,
        lessonId: b.lessonId,
        title: b.title,
        // A launch's studio works in its own course only.
        contextId: callerOf(req.user).contextId ?? b.contextId,
        portraitSha256: b.portrait,
        audioSha256: narrated ? narrated.audio.sha256 : b.audio!,
        narration: narrated?.record ?? transcribed?.record,
        engine: b.engine,
        settings: {
          prompt: b.prompt,
          size: b.size,
          fps: b.fps,
          sampleSteps: b.sampleSteps,
          chunkSec: b.chunkSec,
          // A spoken script's paragraphs are rendered as parts, so an edit re-renders only its own.
          ...(b.engine === 'preview' && narrated?.record.parts && { parts: narrated.record.parts }),
        },
      });
      res
        .status(202)
        .location(`/api/renders/${render.id}`)
        .json(await renderView(render, d.renders, d.urls, d.engines));
    },
  );

  router.get('/api/renders/:id', validate({ params: IdParams }), async (req, res) => {
    res.json(await renderView(await load(req, res), d.renders, d.urls, d.engines));
  });

  router.post('/api/renders/:id/cancel', validate({ params: IdParams }), async (req, res) => {
    const render = await load(req, res);
    if (!(await d.service.cancel(render)))
      throw ApiError.of('CONFLICT', `The render is already ${render.state}.`);
    res.status(202).json(await renderView((await d.renders.get(render.id))!, d.renders, d.urls, d.engines));
  });

  // Server-Sent Events: the current state at once, then every progress report and state change,
  // until the render finishes. Every event has an id; a client that lost the stream (the tool or its
  // database restarted) asks again with Last-Event-ID and gets the current state first, which holds
  // everything it missed. A database outage while streaming ends nothing: polls that fail are retried.
  router.get('/api/renders/:id/events', validate({ params: IdParams }), async (req, res) => {
    const render = await load(req, res);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    let seq = 0;
    const streamId = Date.now().toString(36);
    const send = (event: string, data: unknown): void =>
      void res.write(`id: ${streamId}-${++seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    let closed = false;
    const stop = (): void => {
      closed = true;
      unsubscribe();
      clearInterval(timer);
    };
    const finish = async (): Promise<void> => {
      if (closed) return;
      stop();
      const final = await d.renders.get(render.id).catch(() => undefined);
      if (final)
        send(
          'end',
          await renderView(final, d.renders, d.urls, d.engines).catch(() => ({
            id: final.id,
            state: final.state,
          })),
        );
      res.end();
    };
    const onUpdate = (u: RenderUpdate): void => {
      if (u.type === 'progress') send('progress', u.progress);
      else {
        send('state', { state: u.state, message: u.message });
        if (!OPEN_STATES.includes(u.state)) void finish();
      }
    };
    const unsubscribe = d.bus.subscribe(render.id, onUpdate);
    // A render another tool instance finished is seen here through the database.
    // Whether it waits for a node nobody runs, as last told: a change (a node came or went) is sent.
    let waitingFor = '';
    const timer = setInterval(() => {
      res.write(': keep-alive\n\n');
      d.renders.get(render.id).then(
        async (r) => {
          if (r && !OPEN_STATES.includes(r.state)) return finish();
          const waiting = r && (await d.engines.waiting(r.engine, r.state));
          if (!closed && (waiting?.message ?? '') !== waitingFor) {
            waitingFor = waiting?.message ?? '';
            send('waiting', waiting ?? { reason: null });
          }
        },
        () => {}, // the database is away: the next poll asks again
      );
    }, 2000);
    req.on('close', stop);
    res.write('retry: 2000\n\n');
    const first = (await renderView(render, d.renders, d.urls, d.engines)) as {
      waiting?: { message: string };
    };
    waitingFor = first.waiting?.message ?? '';
    send('render', first);
    if (!OPEN_STATES.includes(render.state)) await finish();
  });

  return router;
}
