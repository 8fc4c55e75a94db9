import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { LessonLanguages } from '../lessons/lesson-languages.js';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import { ApiError } from '../web/api-error.js';
import { validate, validOf } from '../web/validate.js';
import { callerOf } from './api-auth.js';
import { IdParams } from '../web/request-schemas.js';
import { jsonAnswer, jsonBody, openApiPath, refusals, type ApiDescription } from './api-description.js';

const PublishLanguageSchema = z.object({ renderId: z.uuid() }).strict();
const LanguageParams = IdParams.extend({
  language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language tag'),
});

/** Why a render cannot be a language version, for the instructor: status, code, message. */
const REFUSED = {
  'not-found': [404, 'NOT_FOUND', 'No such lesson, or that render of it is not finished.'],
  'not-narrated': [
    422,
    'NOT_NARRATED',
    'Only a version with a script (spoken, or the transcript of a recording) can be a language version: its language and captions come from it.',
  ],
  'not-published': [
    409,
    'NOT_PUBLISHED',
    'Publish the lesson itself first; language versions are added to it.',
  ],
  'same-language': [
    409,
    'SAME_LANGUAGE',
    'That version speaks the lesson’s own language: publish it as a new version of the lesson instead.',
  ],
} as const;

export const describeLessonLanguagesRoutes: ApiDescription = (r) => {
  const LanguageSchema = z.object({ language: z.string(), renderId: z.uuid() });
  r.registerPath({
    method: 'get',
    path: openApiPath('/api/lessons/:id/languages'),
    operationId: 'listLessonLanguages',
    summary: 'A lesson’s language versions',
    request: { params: IdParams },
    responses: {
      200: jsonAnswer(z.object({ languages: z.array(LanguageSchema) }), 'Its languages.'),
      ...refusals(400, 401, 403, 404),
    },
  });
  r.registerPath({
    method: 'post',
    path: openApiPath('/api/lessons/:id/languages'),
    operationId: 'publishLessonLanguage',
    summary: 'Publish a script-spoken render as the lesson in its script’s language',
    request: { params: IdParams, body: jsonBody(PublishLanguageSchema) },
    responses: {
      200: jsonAnswer(LanguageSchema.extend({ lessonId: z.string() }), 'Published in that language.'),
      ...refusals(400, 401, 403, 404, 409, 422),
    },
  });
  r.registerPath({
    method: 'delete',
    path: openApiPath('/api/lessons/:id/languages/:language'),
    operationId: 'withdrawLessonLanguage',
    summary: 'Withdraw a language version',
    request: { params: LanguageParams },
    responses: { 204: { description: 'Withdrawn.' }, ...refusals(400, 401, 403, 404) },
  });
};

/**
 * Dubbing: an instructor of the lesson's course publishes a finished, script-spoken render of it as
 * the lesson in that script's language, lists the languages, or withdraws one.
 */
export function lessonLanguagesRoutes(d: { lessons: LessonRepository; languages: LessonLanguages }): Router {
  const router = Router();

  /** The lesson, in the caller's course (403 outside a course, 404 for another's or none). */
  const lessonOf = async (req: Request, res: Response): Promise<{ lessonId: string; contextId: string }> => {
    const caller = callerOf(req.user);
    if (!caller.contextId)
      throw ApiError.of('FORBIDDEN', 'Lessons are published from their course (an LTI launch).');
    const lessonId = validOf<unknown, unknown, { id: string }>(res).params.id;
    if (!(await d.lessons.get(caller.tenantId, caller.contextId, lessonId)))
      throw ApiError.of('NOT_FOUND', 'No such lesson.');
    return { lessonId, contextId: caller.contextId };
  };

  router.get('/api/lessons/:id/languages', validate({ params: IdParams }), async (req, res) => {
    const lesson = await lessonOf(req, res);
    res.json({ languages: await d.languages.list(lesson.lessonId) });
  });

  router.post(
    '/api/lessons/:id/languages',
    validate({ params: IdParams, body: PublishLanguageSchema }, 'Give the renderId of the language version.'),
    async (req, res) => {
      const lesson = await lessonOf(req, res);
      const { renderId } = validOf<z.infer<typeof PublishLanguageSchema>>(res).body;
      const outcome = await d.languages.publish(
        callerOf(req.user).tenantId,
        lesson.contextId,
        lesson.lessonId,
        renderId,
      );
      if (!outcome.ok) {
        const [status, code, message] = REFUSED[outcome.problem];
        throw new ApiError(status, code, message, { problem: outcome.problem });
      }
      res.json({ lessonId: lesson.lessonId, language: outcome.language, renderId });
    },
  );

  router.delete(
    '/api/lessons/:id/languages/:language',
    validate({ params: LanguageParams }),
    async (req, res) => {
      const lesson = await lessonOf(req, res);
      const removed = await d.languages.remove(
        callerOf(req.user).tenantId,
        lesson.contextId,
        lesson.lessonId,
        validOf<unknown, unknown, z.infer<typeof LanguageParams>>(res).params.language,
      );
      if (!removed) throw ApiError.of('NOT_FOUND', 'The lesson has no version in that language.');
      res.status(204).end();
    },
  );
  return router;
}
