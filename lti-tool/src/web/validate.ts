import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { ApiError } from './api-error.js';

/** The parsed parts of a request, as `validate` left them in `res.locals.valid`. */
export interface Valid<B = unknown, Q = unknown, P = unknown> {
  readonly body: B;
  readonly query: Q;
  readonly params: P;
}

/**
 * A schema at the door of a route: the body, query and params are parsed before the handler runs;
 * a request that does not parse is refused with 400 INVALID_REQUEST and every problem, and the
 * handler reads the parsed values from `res.locals.valid` (Express 5's req.query cannot be replaced).
 */
export function validate<B = unknown, Q = unknown, P = unknown>(
  schemas: { body?: z.ZodType<B>; query?: z.ZodType<Q>; params?: z.ZodType<P> },
  message = 'The request is not valid.',
): RequestHandler {
  return (req, res, next) => {
    const valid: Record<string, unknown> = {};
    for (const part of ['body', 'query', 'params'] as const) {
      const schema = schemas[part];
      if (!schema) {
        valid[part] = req[part];
        continue;
      }
      const r = schema.safeParse(req[part] ?? {});
      if (!r.success) return next(ApiError.invalid(message, r.error));
      valid[part] = r.data;
    }
    res.locals.valid = valid;
    next();
  };
}

/** What `validate` parsed, typed by the route that declared the schemas. */
export const validOf = <B = unknown, Q = unknown, P = unknown>(res: { locals: Record<string, unknown> }) =>
  res.locals.valid as Valid<B, Q, P>;
