import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RateLimiterMemory } from 'rate-limiter-flexible';
import { z } from 'zod';
import { problemsOf } from '../../../common/zod-problems.js';
import { AnswerSchema } from '../questions/answer-check.js';
import type { AnswerService } from '../questions/answer-service.js';
import { ApiError } from '../web/api-error.js';
import { spend } from '../web/rate-limit.js';
import { Id } from '../web/request-schemas.js';
import { readSmallBody } from '../web/small-body.js';
import { digest } from './lti-sessions.js';
import { launchTokenOf, NO_LAUNCH_TOKEN, type SessionCache } from './session-cache.js';

/** A language tag (the language version being watched). */
export const Language = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/);

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

export interface AnswerEndpointDeps {
  /** Launch sessions, kept a minute in memory (they never change, only expire). */
  readonly sessions: Pick<SessionCache, 'get'>;
  readonly answers: Pick<AnswerService, 'answer'>;
  /** Answers per learner: a person answers a few a minute; a script answering by the thousand is refused. */
  readonly limit: Pick<RateLimiterMemory, 'consume'>;
  readonly log: Logger;
}

const PATH = /^\/lti\/lessons\/([^/?#]+)\/answers$/;
const MAX_BODY_BYTES = 8 * 1024;
const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * POST /lti/lessons/:id/answers: a learner's answer to one of the lesson's questions, checked and
 * kept by the answer service. Answered in front of Express, as heartbeats are (`inFrontOf`): the
 * learners' player sends both, and routing and middleware would cost more than the answer. The
 * launch session is the bearer token (never a cookie: no cross-site request can carry it), and it
 * alone says who answers, for which lesson, in which tenant. Refusals are problem+json with the
 * API's stable codes.
 */
export class AnswerEndpoint {
  constructor(private readonly d: AnswerEndpointDeps) {}

  /** A request listener that answers answers and hands every other request to `next`. */
  inFrontOf(next: Handler): Handler {
    return (req, res) => {
      const lessonId = req.method === 'POST' ? PATH.exec(req.url ?? '')?.[1] : undefined;
      return lessonId === undefined ? next(req, res) : void this.handle(req, res, lessonId);
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse, lessonId: string): Promise<void> {
    try {
      const body = JSON.stringify(await this.answer(req, lessonId));
      res.writeHead(200, { ...HEADERS, 'content-type': 'application/json; charset=utf-8' });
      res.end(body);
    } catch (e) {
      const err =
        e instanceof ApiError
          ? e
          : (this.d.log.warn({ err: (e as Error).message }, 'answer not stored'),
            ApiError.of('UNAVAILABLE', 'The answer could not be saved just now; send it again.'));
      if (res.headersSent) return void res.end();
      res.writeHead(err.status, {
        ...HEADERS,
        'content-type': 'application/problem+json',
        ...(err.extra.retryAfter !== undefined && { 'retry-after': String(err.extra.retryAfter) }),
      });
      res.end(
        JSON.stringify({
          type: 'about:blank',
          title: STATUS_CODES[err.status],
          status: err.status,
          detail: err.message,
          code: err.code,
          ...err.extra,
          error: err.message,
        }),
      );
    }
  }

  private async answer(req: IncomingMessage, lessonId: string): Promise<unknown> {
    const token = launchTokenOf(req.headers.authorization);
    if (!token) throw ApiError.of('UNAUTHENTICATED', NO_LAUNCH_TOKEN);
    if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? ''))
      throw ApiError.of('UNSUPPORTED_MEDIA_TYPE', 'An answer is JSON.');
    const text = await readSmallBody(req, MAX_BODY_BYTES);
    if (text === 'too large') throw ApiError.of('PAYLOAD_TOO_LARGE', 'An answer is at most 8 kB.');
    if (text === undefined) throw ApiError.of('INVALID_REQUEST', 'The request ended before its body.');
    const session = await this.d.sessions.get(token);
    if (!session) throw ApiError.of('UNAUTHENTICATED', 'The launch has expired; open the activity again.');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw ApiError.of('INVALID_JSON', 'The body is not JSON.');
    }
    const id = Id.safeParse(decodeURIComponent(lessonId));
    const body = AnswerBodySchema.safeParse(json);
    if (!id.success || !body.success)
      throw ApiError.of('INVALID_REQUEST', 'Give question, attempt and answer.', {
        problems: [
          ...(id.success ? [] : problemsOf(id.error, 'id')),
          ...(body.success ? [] : problemsOf(body.error, '(body)')),
        ],
      });
    const wait = await spend(this.d.limit, `${session.tenantId} ${session.userId}`);
    if (wait)
      throw ApiError.of('RATE_LIMITED', `Too many answers; try again in ${wait} s.`, { retryAfter: wait });
    return this.d.answers.answer(session, digest(token), id.data, body.data);
  }
}
