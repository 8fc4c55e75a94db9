import { Router, type Request } from 'express';
import { z } from 'zod';
import type { LearnerErasure } from '../learners/learner-erasure.js';
import { validate, validOf } from '../web/validate.js';
import { keyTenantOf } from './api-auth.js';
import { jsonAnswer, openApiPath, refusals, type ApiDescription } from './api-description.js';

const LearnerParams = z.object({
  userId: z
    .string()
    .min(1)
    .max(255)
    .meta({ description: 'The learner as the LMS names them (LTI `sub`), or a DingTalk user id.' }),
});
const ErasedSchema = z
  .object({
    userId: z.string(),
    deleted: z.object({
      progress: z
        .number()
        .int()
        .meta({ description: 'Lessons whose watching (and unsent score) was deleted.' }),
      answers: z.number().int().meta({ description: 'Answers to lessons’ questions.' }),
      tutorQuestions: z
        .number()
        .int()
        .meta({ description: 'Questions asked to the tutor, with their answers.' }),
    }),
  })
  .meta({ id: 'ErasedLearner' });

export const describeLearnersRoutes: ApiDescription = (r) => {
  r.registerPath({
    method: 'delete',
    path: openApiPath('/api/learners/:userId'),
    operationId: 'eraseLearner',
    summary: 'Erase what the tool holds of a learner',
    description:
      'For a data-protection request: the learner’s watching, unsent scores, answers and questions to ' +
      'the tutor, in every course of the tenant, deleted at once. What the LMS already received stays ' +
      'in the LMS. Erasing a learner the tool has nothing of answers zeros.',
    request: { params: LearnerParams },
    responses: { 200: jsonAnswer(ErasedSchema, 'Erased.'), ...refusals(400, 401, 403) },
  });
};

/** DELETE /api/learners/:userId: a tenant erases one learner's data (API keys only). */
export function learnersRoutes(d: { erasure: Pick<LearnerErasure, 'erase'> }): Router {
  const router = Router();
  const tenantOf = (req: Request): string =>
    keyTenantOf(req.user, 'Erasing a learner is the tenant’s: use an API key.');
  router.delete('/api/learners/:userId', validate({ params: LearnerParams }), async (req, res) => {
    const { params } = validOf<unknown, unknown, z.infer<typeof LearnerParams>>(res);
    res.json(await d.erasure.erase(tenantOf(req), params.userId));
  });
  return router;
}
