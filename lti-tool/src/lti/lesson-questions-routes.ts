import { Router } from 'express';
import { z } from 'zod';
import { Language } from './answer-endpoint.js';
import { launchedWith, launchSessionOf, type SessionCache } from './session-cache.js';
import type { AnswerService } from '../questions/answer-service.js';
import { IdParams } from '../web/request-schemas.js';
import { validate, validOf } from '../web/validate.js';

const QuestionsQuerySchema = z.object({ language: Language.optional().catch(undefined) });

export interface LessonQuestionsRoutesDeps {
  readonly sessions: Pick<SessionCache, 'get'>;
  readonly answers: Pick<AnswerService, 'forLearner'>;
}

/**
 * GET /lti/lessons/:id/questions: the learner's player gets the lesson's questions (what is asked,
 * never what is right; its answers go to `answer-endpoint.ts`). The launch session is the bearer
 * token (never a cookie), and it alone says whose questions, of which lesson, in which tenant.
 */
export function lessonQuestionsRoutes(d: LessonQuestionsRoutesDeps): Router {
  const router = Router();
  const launched = launchedWith(d.sessions);

  router.get(
    '/lti/lessons/:id/questions',
    launched,
    validate({ params: IdParams, query: QuestionsQuerySchema }),
    async (_req, res) => {
      const { params, query } = validOf<
        unknown,
        z.infer<typeof QuestionsQuerySchema>,
        z.infer<typeof IdParams>
      >(res);
      res
        .set('cache-control', 'no-store')
        .json(await d.answers.forLearner(launchSessionOf(res), params.id, query.language));
    },
  );

  return router;
}
