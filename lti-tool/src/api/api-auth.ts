import type { RequestHandler } from 'express';
import passport from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import type { TenantRepository } from '../tenants/tenant-repository.js';

/** Who calls the API: a tenant, as proven by one of its API keys. */
export interface ApiCaller {
  readonly tenantId: string;
}

/**
 * Bearer API keys through passport: `Authorization: Bearer vt_key_…`. No session; every request is
 * authenticated on its own, and a revoked key stops working at once.
 */
export function apiAuth(tenants: TenantRepository): RequestHandler {
  const strategy = new BearerStrategy((token, done) => {
    tenants.tenantOfApiKey(token).then(
      (tenantId) => done(null, tenantId ? ({ tenantId } satisfies ApiCaller) : false),
      (e: Error) => done(e),
    );
  });
  const instance = new passport.Passport();
  instance.use('api-key', strategy);
  return instance.authenticate('api-key', { session: false, failWithError: false });
}

export const callerOf = (user: unknown): ApiCaller => user as ApiCaller;
