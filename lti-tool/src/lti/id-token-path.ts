import express, { type RequestHandler } from 'express';
import { sendLtiError } from './error-page.js';
import { LTI_ROUTES } from './lti-provider.js';

/** Parses a body as ltijs would, and marks it parsed so ltijs's own body-parser 1 leaves it. */
const parsed =
  (parser: RequestHandler): RequestHandler =>
  (req, res, next) =>
    parser(req, res, (e?: unknown) => {
      (req as { _body?: boolean })._body = true;
      next(e);
    });

/**
 * Mounted at /lti just in front of ltijs: ltijs takes an id_token posted to any path under it and
 * opens a session from it, with checks weaker than ours. Only the launch path takes one, and there
 * the full validator has already run (launchRoutes); an id_token anywhere else is refused here, so a
 * used token cannot be replayed through another path.
 */
export function onlyLaunchTakesIdTokens(): RequestHandler[] {
  return [
    parsed(express.urlencoded({ extended: false, limit: '64kb' })),
    parsed(express.json({ limit: '64kb' })),
    (req, res, next) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const carries = 'id_token' in body || 'id_token' in (req.query as object);
      if (carries && req.path !== LTI_ROUTES.app)
        return sendLtiError(req, res, 'ID_TOKEN_WRONG_PATH', `id_token posted to /lti${req.path}`);
      next();
    },
  ];
}
