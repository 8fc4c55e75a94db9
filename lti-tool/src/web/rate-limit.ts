import type { Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { sentences, type Bilingual } from './i18n.js';
import { sendProblem } from './problem-page.js';
import { msg } from '../messages/messages.js';

export interface Limit {
  readonly points: number;
  readonly durationSec: number;
  /** Once spent, refused this long (a lockout), not only until the window ends. */
  readonly blockSec?: number;
}

/**
 * A limit shared by every tool instance (counted in Redis). While Redis is away the instance counts
 * in memory instead, so an outage neither opens the door nor locks everyone out.
 */
export function sharedLimit(redis: Redis, keyPrefix: string, l: Limit): RateLimiterRedis {
  const options = { points: l.points, duration: l.durationSec, blockDuration: l.blockSec ?? 0 };
  return new RateLimiterRedis({
    storeClient: redis,
    keyPrefix,
    ...options,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, ...options }),
  });
}

/**
 * A limit counted in this instance's memory only, for a learner's hot path that must not wait on
 * Redis (answers): an abuse brake, not a quota. Behind N instances a client gets at most N times it.
 */
export function instanceLimit(keyPrefix: string, l: Limit): RateLimiterMemory {
  return new RateLimiterMemory({
    keyPrefix,
    points: l.points,
    duration: l.durationSec,
    blockDuration: l.blockSec ?? 0,
  });
}

/** Seconds until `key` may try again, or 0 when it may now (nothing is consumed). */
export async function waitOf(limit: RateLimiterRedis, key: string): Promise<number> {
  const r = await limit.get(key).catch(() => null);
  if (!r || r.remainingPoints > 0) return 0;
  return Math.ceil(r.msBeforeNext / 1000);
}

/** Consumes one point for `key`; the seconds to wait when the limit is spent, else 0. */
export async function spend(limit: Pick<RateLimiterRedis, 'consume'>, key: string): Promise<number> {
  try {
    await limit.consume(key);
    return 0;
  } catch (e) {
    if (e instanceof RateLimiterRes) return Math.max(1, Math.ceil(e.msBeforeNext / 1000));
    return 0; // neither Redis nor memory could count: let the request through rather than refuse all
  }
}

/** The bilingual 429 page, with Retry-After. */
export function sendTooMany(req: Request, res: Response, waitSec: number, text: Bilingual): void {
  res.setHeader('retry-after', String(waitSec));
  sendProblem(req, res, {
    status: 429,
    title: msg.rateLimit.tooManyAttempts,
    text: sentences(text, msg.rateLimit.tryAgainIn(waitSec)),
    code: 'TOO_MANY_REQUESTS',
    detail: `retry after ${waitSec} s`,
  });
}

/** Middleware: `limit` per client address on these routes. */
export function perAddress(limit: RateLimiterRedis, text: Bilingual): RequestHandler {
  return (req, res, next) => {
    void spend(limit, req.ip ?? 'unknown').then((wait) =>
      wait ? sendTooMany(req, res, wait, text) : next(),
    );
  };
}
