import type express from 'express';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { LtiSession } from './lti-sessions.js';
import { Language } from './answer-endpoint.js';
import { launchTokenOf, NO_LAUNCH_TOKEN, type SessionCache } from './session-cache.js';
import type { AnswerService } from '../questions/answer-service.js';
import { ApiError } from '../web/api-error.js';
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
  const launched: RequestHandler = (req, res, next) => {
    const token = launchTokenOf(req.get('authorization'));
    if (!token) return next(ApiError.of('UNAUTHENTICATED', NO_LAUNCH_TOKEN));
    d.sessions.get(token).then((session) => {
      if (!session)
        return next(ApiError.of('UNAUTHENTICATED', 'The launch has expired; open the activity again.'));
      res.locals.session = session;
      next();
    }, next);
  };
  const sessionOf = (res: express.Response) => res.locals.session as LtiSession;

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
        .json(await d.answers.forLearner(sessionOf(res), params.id, query.language));
    },
  );

  return router;
}
