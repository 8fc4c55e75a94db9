import express, { Router, type RequestHandler } from 'express';
import type { RateLimiterRedis } from 'rate-limiter-flexible';
import { z } from 'zod';
import { launchedWith, launchSessionOf, type SessionCache } from './session-cache.js';
import type { TutorService } from '../tutor/tutor-service.js';
import { ApiError } from '../web/api-error.js';
import { spend } from '../web/rate-limit.js';
import { IdParams } from '../web/request-schemas.js';
import { validate, validOf } from '../web/validate.js';

export const AskSchema = z.object({ question: z.string().trim().min(2).max(500) });
export const RatingSchema = z.object({ helpful: z.boolean() });

export interface TutorRoutesDeps {
  readonly sessions: Pick<SessionCache, 'get'>;
  readonly tutor: Pick<TutorService, 'ask' | 'history' | 'rate'>;
  /** Questions per learner, and per tenant (each answer may cost a model call and a render). */
  readonly perLearner: Pick<RateLimiterRedis, 'consume'>;
  readonly perTenant: Pick<RateLimiterRedis, 'consume'>;
}

/**
 * The learner's player asks the lesson's tutor (`POST /lti/lessons/:id/tutor/questions`), lists the
 * learner's earlier questions (GET), and rates an answer (`POST /lti/tutor/questions/:id/rating`). The
 * launch session is the bearer token, and it alone says whose questions, in which course and tenant.
 */
export function tutorRoutes(d: TutorRoutesDeps): Router {
  const router = Router();
  const launched = launchedWith(d.sessions);
  const json = express.json({ limit: '8kb' });
  const limited: RequestHandler = (_req, res, next) => {
    const s = launchSessionOf(res);
    void Promise.all([
      spend(d.perLearner, `${s.tenantId}\n${s.userId}`),
      spend(d.perTenant, s.tenantId),
    ]).then(([learner, tenant]) => {
      const wait = Math.max(learner, tenant);
      if (!wait) return next();
      res.setHeader('retry-after', String(wait));
      next(
        ApiError.of('RATE_LIMITED', `Too many questions; ask again in ${wait} s.`, {
          scope: learner ? 'learner' : 'tenant',
        }),
      );
    }, next);
  };

  router.post(
    '/lti/lessons/:id/tutor/questions',
    launched,
    json,
    validate({ params: IdParams, body: AskSchema }),
    limited,
    async (_req, res) => {
      const { params, body } = validOf<z.infer<typeof AskSchema>, unknown, z.infer<typeof IdParams>>(res);
      res
        .status(201)
        .set('cache-control', 'no-store')
        .json(await d.tutor.ask(launchSessionOf(res), params.id, body.question));
    },
  );

  router.get(
    '/lti/lessons/:id/tutor/questions',
    launched,
    validate({ params: IdParams }),
    async (_req, res) => {
      const { params } = validOf<unknown, unknown, z.infer<typeof IdParams>>(res);
      res
        .set('cache-control', 'no-store')
        .json({ questions: await d.tutor.history(launchSessionOf(res), params.id) });
    },
  );

  router.post(
    '/lti/tutor/questions/:id/rating',
    launched,
    json,
    validate({ params: IdParams, body: RatingSchema }),
    async (_req, res) => {
      const { params, body } = validOf<z.infer<typeof RatingSchema>, unknown, z.infer<typeof IdParams>>(res);
      await d.tutor.rate(launchSessionOf(res), params.id, body.helpful);
      res.status(204).end();
    },
  );

  return router;
}
