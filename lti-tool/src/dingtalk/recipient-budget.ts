import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Takes what is left of an organisation's budget, up to ARGV[3], in a sliding window of ARGV[2] ms
 * (Redis's clock, so every tool instance counts alike). Members are "<id>:<count>" scored by time.
 * Answers {granted, member} or {0, ms until the oldest grant leaves the window}.
 */
const TAKE = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local window, limit, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  used = used + tonumber(string.match(m, ':(%d+)$'))
end
local grant = math.min(want, limit - used)
if grant <= 0 then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tostring(math.max(1, tonumber(oldest[2]) + window - now))}
end
local member = ARGV[4] .. ':' .. grant
redis.call('ZADD', KEYS[1], now, member)
redis.call('PEXPIRE', KEYS[1], window)
return {grant, member}`;

/** Hands back what a grant did not use (fewer recipients were waiting than were granted). */
const GIVE_BACK = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
if tonumber(ARGV[2]) > 0 then redis.call('ZADD', KEYS[1], score, ARGV[3] .. ':' .. ARGV[2]) end
return 1`;

export type Grant = { readonly granted: number; readonly member: string };
export type Refusal = { readonly granted: 0; readonly waitMs: number };

/**
 * Recipients an organisation may be sent in any window (DingTalk: 5,000 a minute per app, past which
 * it answers "sent" but delivers nothing). Shared in Redis by every tool instance, and exact over a
 * sliding window rather than per calendar minute, which would allow twice the limit across a boundary.
 */
export class RecipientBudget {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {}

  private key(org: string): string {
    return `${this.prefix}:dingtalk:recipients:${org}`;
  }

  async take(org: string, want: number): Promise<Grant | Refusal> {
    const [n, x] = (await this.redis.eval(
      TAKE,
      1,
      this.key(org),
      this.windowMs,
      this.limit,
      want,
      randomBytes(6).toString('hex'),
    )) as [number, string];
    return n > 0 ? { granted: n, member: x } : { granted: 0, waitMs: Number(x) };
  }

  /** Keeps `used` of a grant and returns the rest to the budget. */
  async settle(org: string, grant: Grant, used: number): Promise<void> {
    if (used >= grant.granted) return;
    const id = grant.member.slice(0, grant.member.lastIndexOf(':'));
    await this.redis.eval(GIVE_BACK, 1, this.key(org), grant.member, used, id);
  }
}
