import express, { Router, type RequestHandler } from 'express';
import type { RateLimiterRedis } from 'rate-limiter-flexible';
import { z } from 'zod';
import { digest, type LtiSession, type LtiSessions } from './lti-sessions.js';
import { AnswerSchema } from '../questions/answer-check.js';
import type { AnswerService } from '../questions/answer-service.js';
import { ApiError } from '../web/api-error.js';
import { spend } from '../web/rate-limit.js';
import { IdParams } from '../web/request-schemas.js';
import { validate, validOf } from '../web/validate.js';

const Language = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/);

const AnswerBodySchema = z.object({
  /** The question's key, as the player was given it. */
  question: z.string().regex(/^[\w-]{16}$/),
  /** 1 for the first answer to this question, 2 for the next…: a replay says the same number. */
  attempt: z.number().int().min(1).max(10),
  answer: AnswerSchema,
  secondsToAnswer: z
    .number()
    .min(0)
    .max(24 * 3600)
    .optional(),
  /** The language version being watched (its words for the feedback). */
  language: Language.optional(),
});
const QuestionsQuerySchema = z.object({ language: Language.optional().catch(undefined) });

export interface LessonQuestionsRoutesDeps {
  readonly sessions: Pick<LtiSessions, 'get'>;
  readonly answers: AnswerService;
  /** Answers per learner: a person answers a few a minute; a script answering by the thousand is refused. */
  readonly limit: RateLimiterRedis;
}

/**
 * The learner's player and the lesson's questions: GET /lti/lessons/:id/questions (what is asked,
 * never what is right) and POST /lti/lessons/:id/answers (checked here). The launch session is the
 * bearer token (never a cookie: no cross-site request can carry it), and it alone says who answers,
 * for which lesson, in which tenant.
 */
export function lessonQuestionsRoutes(d: LessonQuestionsRoutesDeps): Router {
  const router = Router();
  const launched: RequestHandler = (req, res, next) => {
    const token = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '')?.[1];
    if (!token)
      return next(
        ApiError.of('UNAUTHENTICATED', 'The launch session is required (Authorization: Bearer …).'),
      );
    d.sessions.get(token).then((session) => {
      if (!session)
        return next(ApiError.of('UNAUTHENTICATED', 'The launch has expired; open the activity again.'));
      res.locals.session = session;
      res.locals.sessionSha = digest(token);
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

  router.post(
    '/lti/lessons/:id/answers',
    launched,
    express.json({ limit: '8kb' }),
    validate({ params: IdParams, body: AnswerBodySchema }, 'Give question, attempt and answer.'),
    async (_req, res) => {
      const session = sessionOf(res);
      const wait = await spend(d.limit, `${session.tenantId} ${session.userId}`);
      if (wait) {
        res.setHeader('retry-after', String(wait));
        throw ApiError.of('RATE_LIMITED', `Too many answers; try again in ${wait} s.`);
      }
      const { params, body } = validOf<z.infer<typeof AnswerBodySchema>, unknown, z.infer<typeof IdParams>>(
        res,
      );
      res
        .set('cache-control', 'no-store')
        .json(await d.answers.answer(session, res.locals.sessionSha as string, params.id, body));
    },
  );
  return router;
}
