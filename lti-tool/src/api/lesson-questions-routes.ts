import { Router } from 'express';
import { z } from 'zod';
import { jsonAnswer, jsonBody, openApiPath, refusals, type ApiDescription } from './api-description.js';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import type { QuestionRepository } from '../questions/question-repository.js';
import {
  QuestionSchema,
  QuestionSetSchema,
  questionKey,
  type QuestionSet,
} from '../questions/question-set.js';
import { ApiError } from '../web/api-error.js';
import { IdParams } from '../web/request-schemas.js';
import { validate, validOf } from '../web/validate.js';
import { callerOf, lessonOfCaller, type ApiCaller } from './api-auth.js';

const keyed = z.intersection(
  z.object({ key: z.string().meta({ description: 'Names the question across versions of the lesson.' }) }),
  QuestionSchema,
);
const AuthoredSetSchema = QuestionSetSchema.safeExtend({ questions: z.array(keyed) });

export const describeLessonQuestionsRoutes: ApiDescription = (r) => {
  r.registerPath({
    method: 'get',
    path: openApiPath('/api/lessons/:id/questions'),
    operationId: 'getLessonQuestions',
    summary: 'A lesson’s questions, with their answers (the author’s view)',
    request: { params: IdParams },
    responses: {
      200: jsonAnswer(
        AuthoredSetSchema.safeExtend({
          fromScript: z
            .array(keyed)
            .meta({ description: 'Asked by the published script’s question blocks.' }),
        }),
        'The author’s questions and those the script asks.',
      ),
      ...refusals(400, 401, 404),
    },
  });
  r.registerPath({
    method: 'put',
    path: openApiPath('/api/lessons/:id/questions'),
    operationId: 'saveLessonQuestions',
    summary: 'Replace the author’s questions and how they are graded',
    request: { params: IdParams, body: jsonBody(QuestionSetSchema) },
    responses: { 200: jsonAnswer(AuthoredSetSchema, 'Saved.'), ...refusals(400, 401, 404) },
  });
};

/**
 * GET and PUT /api/lessons/:id/questions: the author's side of a lesson's questions, with their
 * right answers and feedback (learners get theirs from `lti/lesson-questions-routes.ts`). An
 * instructor's launch reaches its course's lessons; an API key its tenant's.
 */
export function lessonQuestionsApiRoutes(d: {
  lessons: Pick<LessonRepository, 'get' | 'inTenant'>;
  questions: QuestionRepository;
}): Router {
  const router = Router();
  const lessonOf = (caller: ApiCaller, id: string) => lessonOfCaller(d.lessons, caller, id);
  const withKeys = (set: QuestionSet) => ({
    ...set,
    questions: set.questions.map((q) => ({ key: questionKey(q), ...q })),
  });

  // The author's own questions, to edit; those the published script asks are listed beside them.
  router.get('/api/lessons/:id/questions', validate({ params: IdParams }), async (req, res) => {
    const caller = callerOf(req.user);
    const { params } = validOf<unknown, unknown, z.infer<typeof IdParams>>(res);
    await lessonOf(caller, params.id);
    const [authored, asked] = await Promise.all([
      d.questions.authored(caller.tenantId, params.id),
      d.questions.get(caller.tenantId, params.id),
    ]);
    const own = withKeys(authored ?? QuestionSetSchema.parse({ questions: [] }));
    const mine = new Set(own.questions.map((q) => q.key));
    res.set('cache-control', 'no-store').json({
      ...own,
      fromScript: (asked?.questions ?? [])
        .map((q) => ({ key: questionKey(q), ...q }))
        .filter((q) => !mine.has(q.key)),
    });
  });

  router.put(
    '/api/lessons/:id/questions',
    validate({ params: IdParams, body: QuestionSetSchema }, 'Give the questions and how they are graded.'),
    async (req, res) => {
      const caller = callerOf(req.user);
      const { params, body } = validOf<z.infer<typeof QuestionSetSchema>, unknown, z.infer<typeof IdParams>>(
        res,
      );
      await lessonOf(caller, params.id);
      if (!(await d.questions.save(caller.tenantId, params.id, body)))
        throw ApiError.of('NOT_FOUND', 'No such lesson.');
      req.log.info(
        { event: 'questions', tenantId: caller.tenantId, lessonId: params.id, count: body.questions.length },
        'lesson questions saved',
      );
      res.json(withKeys((await d.questions.authored(caller.tenantId, params.id))!));
    },
  );
  return router;
}
