import type { RequestHandler, Response } from 'express';
import { ApiError } from '../web/api-error.js';
import type { LtiSession, LtiSessions } from './lti-sessions.js';

/**
 * The launch session a learner's player presents (`Authorization: Bearer <token>`), or undefined; the
 * refusal that goes with none, in the words both of its endpoints use.
 */
export const launchTokenOf = (authorization: string | undefined): string | undefined =>
  /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
export const NO_LAUNCH_TOKEN = 'The launch session is required (Authorization: Bearer …).';

/**
 * Launch sessions for the learners' busiest endpoints (heartbeats, answers), kept a minute in
 * memory: a session never changes, it only expires or is ended, so the cost of one more minute is
 * that an ended session (a DingTalk leaver's) is still taken that long by an instance that saw it.
 */
export class SessionCache {
  private readonly cache = new Map<string, { session: LtiSession | undefined; until: number }>();

  constructor(
    private readonly sessions: Pick<LtiSessions, 'get'>,
    private readonly ttlMs = 60_000,
  ) {}

  async get(token: string): Promise<LtiSession | undefined> {
    const hit = this.cache.get(token);
    if (hit && hit.until > Date.now()) return hit.session;
    const session = await this.sessions.get(token);
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(token, { session, until: Date.now() + this.ttlMs });
    return session;
  }
}

/**
 * Express middleware for a learner's player's endpoints: the launch session from the bearer token
 * (never a cookie) in `res.locals.session`, or a 401.
 */
export function launchedWith(sessions: Pick<SessionCache, 'get'>): RequestHandler {
  return (req, res, next) => {
    const token = launchTokenOf(req.get('authorization'));
    if (!token) return next(ApiError.of('UNAUTHENTICATED', NO_LAUNCH_TOKEN));
    sessions.get(token).then((session) => {
      if (!session)
        return next(ApiError.of('UNAUTHENTICATED', 'The launch has expired; open the activity again.'));
      res.locals.session = session;
      next();
    }, next);
  };
}

/** The session `launchedWith` found. */
export const launchSessionOf = (res: Response): LtiSession => res.locals.session as LtiSession;
