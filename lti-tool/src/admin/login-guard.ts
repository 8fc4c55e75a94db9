import type { Redis } from 'ioredis';
import type { RateLimiterRedis } from 'rate-limiter-flexible';
import { sharedLimit, spend, waitOf } from '../web/rate-limit.js';

/** Failed sign-ins an account may have in 15 minutes before it is locked for 15 minutes. */
export const ACCOUNT_FAILURES = 10;
/** Sign-in attempts one address may make in 15 minutes. */
export const ADDRESS_ATTEMPTS = 30;
const WINDOW_SEC = 15 * 60;

export interface Lockout {
  readonly waitSec: number;
  readonly why: 'account' | 'address';
}

/**
 * Password guessing against the admin login: every attempt counts against the client's address, and
 * every failure against the account named, across all tool instances (Redis). An account with too
 * many failures is locked for a while (the login page says so and for how long); a success clears
 * the account's failures.
 */
export class LoginGuard {
  private readonly failures: RateLimiterRedis;
  private readonly attempts: RateLimiterRedis;

  constructor(redis: Redis, prefix: string) {
    this.failures = sharedLimit(redis, `${prefix}:limit:login-account`, {
      points: ACCOUNT_FAILURES,
      durationSec: WINDOW_SEC,
      blockSec: WINDOW_SEC,
    });
    this.attempts = sharedLimit(redis, `${prefix}:limit:login-address`, {
      points: ADDRESS_ATTEMPTS,
      durationSec: WINDOW_SEC,
      blockSec: WINDOW_SEC,
    });
  }

  /** Counts this attempt; a lockout when the address or the account may not try now. */
  async attempt(username: string, address: string): Promise<Lockout | undefined> {
    const locked = await waitOf(this.failures, accountKey(username));
    if (locked) return { waitSec: locked, why: 'account' };
    const wait = await spend(this.attempts, address);
    return wait ? { waitSec: wait, why: 'address' } : undefined;
  }

  async failed(username: string): Promise<void> {
    await spend(this.failures, accountKey(username));
  }

  async succeeded(username: string): Promise<void> {
    await this.failures.delete(accountKey(username)).catch(() => false);
  }
}

/** User names are compared as typed: one account, one counter, whatever its case. */
const accountKey = (username: string): string => username.trim().toLowerCase().slice(0, 200);
