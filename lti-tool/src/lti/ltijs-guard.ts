import express, { type RequestHandler } from 'express';
import { sendLtiError } from './error-page.js';
import { LTI_ROUTES } from './lti-provider.js';

/**
 * Parses a body as ltijs would, and marks it parsed: ltijs parses bodies again with its own
 * body-parser 1, which skips a request marked as parsed.
 */
export const parsedForLtijs =
  (parser: RequestHandler): RequestHandler =>
  (req, res, next) =>
    parser(req, res, (e?: unknown) => {
      (req as { _body?: boolean })._body = true;
      next(e);
    });

/** ltijs's states are hex (URI-encoded); ours never differ. */
const STATE = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * Mounted at /lti just in front of ltijs, for what ltijs must never see:
 *
 * - An id_token on any path but the launch. ltijs takes one posted to any path under it and opens a
 *   session from it, with checks weaker than ours; only the launch path takes one, and there the full
 *   validator has already run (launchRoutes). So a used token cannot be replayed through another path.
 * - A `state` that is not a plain token. ltijs clears a cookie named after it, and a name with other
 *   characters throws inside its async middleware: the request was never answered (found by fuzzing).
 */
export function guardLtijs(): RequestHandler[] {
  return [
    parsedForLtijs(express.urlencoded({ extended: false, limit: '64kb' })),
    parsedForLtijs(express.json({ limit: '64kb' })),
    (req, res, next) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const carries = 'id_token' in body || 'id_token' in (req.query as object);
      if (carries && req.path !== LTI_ROUTES.app)
        return sendLtiError(req, res, 'ID_TOKEN_WRONG_PATH', `id_token posted to /lti${req.path}`);
      if (body.state !== undefined && !(typeof body.state === 'string' && STATE.test(body.state)))
        return sendLtiError(req, res, 'STATE_MISSING', 'a state that is not one of ours');
      next();
    },
  ];
}
