import type { RequestHandler } from 'express';
import passport from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { LtiSessions, type LtiSession } from '../lti/lti-sessions.js';
import type { TenantRepository } from '../tenants/tenant-repository.js';

/**
 * Who calls the API: a tenant, as proven by one of its API keys; or an LTI launch's pages (an
 * instructor's studio), limited to the launch's course.
 */
export interface ApiCaller {
  readonly tenantId: string;
  readonly contextId?: string;
  readonly session?: LtiSession;
}

/**
 * Bearer API keys through passport: `Authorization: Bearer vt_key_…`. No session; every request is
 * authenticated on its own, and a revoked key stops working at once.
 */
export function apiAuth(tenants: TenantRepository, sessions: LtiSessions): RequestHandler {
  const strategy = new BearerStrategy((token, done) => {
    const caller: Promise<ApiCaller | false> = LtiSessions.isToken(token)
      ? sessions
          .get(token)
          .then((s) =>
            s && s.role === 'instructor'
              ? { tenantId: s.tenantId, contextId: s.contextId, session: s }
              : false,
          )
      : tenants.tenantOfApiKey(token).then((tenantId) => (tenantId ? { tenantId } : false));
    caller.then(
      (c) => done(null, c),
      (e: Error) => done(e),
    );
  });
  const instance = new passport.Passport();
  instance.use('api-key', strategy);
  return instance.authenticate('api-key', { session: false, failWithError: false });
}

export const callerOf = (user: unknown): ApiCaller => user as ApiCaller;
