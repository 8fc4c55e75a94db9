import { Router } from 'express';
import { z } from 'zod';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import { ApiError } from '../web/api-error.js';
import type { ApiCaller } from './api-auth.js';
import { IdParams } from '../web/request-schemas.js';
import { validate, validOf } from '../web/validate.js';
import { jsonAnswer, jsonBody, openApiPath, refusals, type ApiDescription } from './api-description.js';

const PublishVersionSchema = z.object({
  renderId: z.uuid(),
  title: z.string().trim().min(1).max(200),
});

export const describeLessonPublishingRoutes: ApiDescription = (r) =>
  r.registerPath({
    method: 'post',
    path: openApiPath('/api/lessons/:id/published'),
    operationId: 'publishLessonVersion',
    summary: 'Publish a finished render as the lesson’s version',
    description:
      'From the lesson’s course (an instructor’s launch session); learners see it from their next launch.',
    request: { params: IdParams, body: jsonBody(PublishVersionSchema) },
    responses: {
      200: jsonAnswer(
        z.object({ lessonId: z.string(), publishedRenderId: z.uuid(), title: z.string() }),
        'Published.',
      ),
      ...refusals(400, 401, 403, 404),
    },
  });

/** POST /api/lessons/:id/published: an instructor publishes a finished render as the lesson's version. */
export function lessonPublishingRoutes(d: { lessons: LessonRepository }): Router {
  const router = Router();
  // An instructor's new version of a published lesson: learners see it from their next launch.
  router.post(
    '/api/lessons/:id/published',
    validate({ params: IdParams, body: PublishVersionSchema }, 'Give renderId and title.'),
    async (req, res) => {
      const caller = req.user as ApiCaller;
      const { params, body } = validOf<
        z.infer<typeof PublishVersionSchema>,
        unknown,
        z.infer<typeof IdParams>
      >(res);
      if (!caller.contextId)
        throw ApiError.of('FORBIDDEN', 'Lessons are published from their course (an LTI launch).');
      const ok = await d.lessons.publish(
        caller.tenantId,
        caller.contextId,
        params.id,
        body.renderId,
        body.title,
      );
      if (!ok) throw ApiError.of('NOT_FOUND', 'No such lesson, or that render of it is not finished.');
      res.json({ lessonId: params.id, publishedRenderId: body.renderId, title: body.title });
    },
  );
  return router;
}
