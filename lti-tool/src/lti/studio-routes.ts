import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { detectFace } from '../../../render-node/src/engines/preview/face/face-detector.js';
import { isRenderError } from '../../../render-node/src/errors.js';
import type { ApiCaller } from '../api/api-auth.js';
import type { AssetRepository } from '../assets/asset-repository.js';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import type { MediaStore } from '../media/media-store.js';
import type { RenderRepository } from '../renders/render-repository.js';
import { html } from '../web/html.js';
import { langOf, t } from '../web/i18n.js';
import { page } from '../web/page.js';
import { sendLtiError } from './error-page.js';
import { allowPlatform } from './platform-framing.js';
import type { LtiSessions } from './lti-sessions.js';
import { signDeepLinkingResponse, type ResourceLinkItem } from './deep-linking-response.js';
import type { ToolKeys } from './tool-keys.js';
import { ApiError } from '../web/api-error.js';

export interface StudioRoutesDeps {
  readonly keys: ToolKeys;
  readonly sessions: LtiSessions;
  readonly lessons: LessonRepository;
  readonly renders: RenderRepository;
  readonly assets: AssetRepository;
  readonly store: MediaStore;
  readonly publicUrl: string;
}

const PublishSchema = z.object({
  session: z.string().min(1),
  renderId: z.uuid().optional(),
  lessonId: z.uuid().optional(),
  title: z.string().trim().min(1).max(200),
  text: z.string().max(1000).default(''),
  scoreMaximum: z.coerce.number().int().min(1).max(1000).default(100),
  /** Percent of the lesson a learner must watch to complete it. */
  completion: z.coerce.number().int().min(1).max(100).default(90),
});

const PublishVersionSchema = z.object({
  renderId: z.uuid(),
  title: z.string().trim().min(1).max(200),
});

/**
 * The studio's own endpoints (the rest is the tenant API, called with the launch's session token):
 * the detected face of an uploaded portrait, and publishing, which answers the platform with a signed
 * LtiDeepLinkingResponse. The session token travels in the form, never in a cookie, so another site
 * cannot make a browser publish (no ambient credential: this is the CSRF defence).
 */
export function studioRoutes(d: StudioRoutesDeps): Router {
  const router = Router();

  // Behind the API's bearer auth (mounted under /api by the app): instructors of a launch only.
  router.get('/api/studio/faces/:sha', async (req, res) => {
    const caller = req.user as ApiCaller;
    const asset = await d.assets.get(caller.tenantId, String(req.params.sha));
    if (!asset || asset.kind !== 'portrait') throw ApiError.of('NOT_FOUND', 'No such portrait.');
    try {
      const a = await detectFace(d.store.path(asset.sha256));
      res.json({
        imageWidth: a.imageWidth,
        imageHeight: a.imageHeight,
        face: { x1: a.face.x1, y1: a.face.y1, x2: a.face.x2, y2: a.face.y2, score: a.face.score },
        faceCount: a.faceCount,
        warnings: a.warnings,
      });
    } catch (e) {
      if (isRenderError(e)) throw e; // with its code (NO_FACE, IMAGE_TOO_LARGE…)
      throw e;
    }
  });

  // An instructor's new version of a published lesson: learners see it from their next launch.
  router.post('/api/lessons/:id/published', async (req, res) => {
    const caller = req.user as ApiCaller;
    const parsed = PublishVersionSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw ApiError.of('INVALID_REQUEST', 'Give renderId and title.');
    if (!z.uuid().safeParse(req.params.id).success) throw ApiError.of('NOT_FOUND', 'No such lesson.');
    if (!caller.contextId)
      throw ApiError.of('FORBIDDEN', 'Lessons are published from their course (an LTI launch).');
    const ok = await d.lessons.publish(
      caller.tenantId,
      caller.contextId,
      String(req.params.id),
      parsed.data.renderId,
      parsed.data.title,
    );
    if (!ok) throw ApiError.of('NOT_FOUND', 'No such lesson, or that render of it is not finished.');
    res.json({ lessonId: req.params.id, publishedRenderId: parsed.data.renderId, title: parsed.data.title });
  });

  router.post(
    '/lti/studio/publish',
    express.urlencoded({ extended: false, limit: '16kb' }),
    async (req, res) => {
      const parsed = PublishSchema.safeParse(req.body ?? {});
      if (!parsed.success) throw ApiError.invalid('The publish form is not valid.', parsed.error);
      const b = parsed.data;
      const session = await d.sessions.get(b.session);
      if (!session) return sendLtiError(req, res, 'SESSION_EXPIRED', 'publish without a live session');
      if (
        session.role !== 'instructor' ||
        session.messageType !== 'LtiDeepLinkingRequest' ||
        !session.launch.deepLinking
      )
        return sendLtiError(
          req,
          res,
          'LEARNER_NOT_ALLOWED',
          'publish outside an instructor deep-linking session',
        );
      let lessonId = b.lessonId;
      let renderId = b.renderId;
      if (renderId) {
        const render = await d.renders.get(renderId, session.tenantId, session.contextId);
        if (!render || render.state !== 'done') return void notPublishable(req, res);
        lessonId = render.lessonId;
      } else if (lessonId) {
        const lesson = await d.lessons.get(session.tenantId, session.contextId, lessonId);
        renderId = lesson?.publishedRenderId ?? lesson?.latestDoneRenderId;
      }
      if (!lessonId || !renderId) return void notPublishable(req, res);
      if (!(await d.lessons.publish(session.tenantId, session.contextId, lessonId, renderId, b.title)))
        return void notPublishable(req, res);
      await d.lessons.setGrading(session.tenantId, lessonId, {
        scoreMaximum: b.scoreMaximum,
        completionThreshold: b.completion / 100,
      });

      const item: ResourceLinkItem = {
        type: 'ltiResourceLink',
        title: b.title,
        text: b.text,
        url: `${d.publicUrl}/lti/launch`,
        custom: { lesson_id: lessonId },
        lineItem: {
          scoreMaximum: b.scoreMaximum,
          label: b.title,
          resourceId: lessonId,
          tag: 'virtual-tutor-lesson',
        },
      };
      const settings = session.launch.deepLinking ?? {};
      const jwt = await signDeepLinkingResponse(
        d.keys,
        {
          clientId: session.launch.clientId,
          platformIssuer: session.launch.issuer,
          deploymentId: session.deploymentId,
          data: typeof settings.data === 'string' ? settings.data : undefined,
        },
        [item],
        `Added “${b.title}”`,
      );
      allowPlatform(res, session.launch.issuer, { formPost: true });
      const returnUrl = String(session.launch.deepLinking.deep_link_return_url);
      const lang = langOf(req);
      const label = t(lang, { en: 'Returning to the course…', zh: '正在返回课程…' });
      res.type('html').send(
        page(
          lang,
          label,
          html`<main>
            <form id="deep-link-response" method="post" action="${returnUrl}">
              <input type="hidden" name="JWT" value="${jwt}" />
              <p>${label}</p>
              <button type="submit">${t(lang, { en: 'Continue', zh: '继续' })}</button>
            </form>
          </main>`,
          html`<script src="/static/autosubmit.js" defer></script>`,
        ),
      );
    },
  );
  return router;
}

function notPublishable(req: Request, res: Response): void {
  sendLtiError(req, res, 'LESSON_NOT_FOUND', 'nothing finished to publish in this course');
}
