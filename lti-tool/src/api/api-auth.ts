import type { RequestHandler } from 'express';
import passport from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { LtiSessions, type LtiSession } from '../lti/lti-sessions.js';
import type { TenantRepository } from '../tenants/tenant-repository.js';
import { ApiError } from '../web/api-error.js';
import type { LessonRepository, LessonSummary } from '../lessons/lesson-repository.js';

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
  const authenticate = instance.authenticate('api-key', {
    session: false,
    failWithError: true,
  }) as RequestHandler;
  // A refusal is the API's problem+json (passport has set WWW-Authenticate: Bearer already).
  return (req, res, next) =>
    authenticate(req, res, (err?: unknown) =>
      next(
        err
          ? (err as { status?: number }).status === 401
            ? ApiError.of(
                'UNAUTHENTICATED',
                'An API key or a launch session is required (Authorization: Bearer …).',
              )
            : err
          : undefined,
      ),
    );
}

export const callerOf = (user: unknown): ApiCaller => user as ApiCaller;

/** The tenant of a call made with an API key; a course's launch is refused (403) with `why`. */
export function keyTenantOf(user: unknown, why: string): string {
  const caller = callerOf(user);
  if (caller.contextId) throw ApiError.of('FORBIDDEN', why);
  return caller.tenantId;
}

/**
 * The lesson a caller may reach: in its course for an instructor's launch, anywhere in its tenant for
 * an API key; another's (or none) is "not found".
 */
export async function lessonOfCaller(
  lessons: Pick<LessonRepository, 'get' | 'inTenant'>,
  caller: ApiCaller,
  id: string,
): Promise<LessonSummary> {
  const lesson = caller.contextId
    ? await lessons.get(caller.tenantId, caller.contextId, id)
    : await lessons.inTenant(caller.tenantId, id);
  if (!lesson) throw ApiError.of('NOT_FOUND', 'No such lesson.');
  return lesson;
}
