import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { LessonRepository } from '../lessons/lesson-repository.js';
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
import { msg } from '../messages/messages.js';

export interface DeepLinkingRoutesDeps {
  readonly keys: ToolKeys;
  readonly sessions: LtiSessions;
  readonly lessons: LessonRepository;
  readonly renders: RenderRepository;
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

/**
 * Publishing from the studio: it answers the platform with a signed LtiDeepLinkingResponse (the
 * studio's other calls are the tenant API, with the launch's session token). The session token travels in the form, never in a cookie, so another site
 * cannot make a browser publish (no ambient credential: this is the CSRF defence).
 */
export function deepLinkingRoutes(d: DeepLinkingRoutesDeps): Router {
  const router = Router();

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
      await d.lessons.setDescription(session.tenantId, lessonId, b.text);

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
      const label = t(lang, msg.deepLinkingRoutes.returningToTheCourse);
      res.type('html').send(
        page(
          lang,
          label,
          html`<main>
            <form id="deep-link-response" method="post" action="${returnUrl}">
              <input type="hidden" name="JWT" value="${jwt}" />
              <p>${label}</p>
              <button type="submit">${t(lang, msg.deepLinkingRoutes.continueLabel)}</button>
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
