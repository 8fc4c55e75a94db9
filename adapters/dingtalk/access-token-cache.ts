import type { Redis } from 'ioredis';

/** Renewed this long before DingTalk's expiry, so no call goes out with a token about to lapse. */
const MARGIN_SEC = 300;

/**
 * Apps' access tokens in Redis, shared by every tool instance: DingTalk limits how often a token may
 * be fetched, and a token fetched anew does not end the old one's life, so one per app is enough.
 * Only a cache: while Redis is away every call fetches its own token rather than fail.
 */
export class AccessTokenCache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(appKey: string): string {
    return `${this.prefix}:dingtalk:token:${appKey}`;
  }

  async get(appKey: string): Promise<string | undefined> {
    return (await this.redis.get(this.key(appKey)).catch(() => null)) ?? undefined;
  }

  async set(appKey: string, token: string, expiresInSec: number): Promise<void> {
    await this.redis
      .set(this.key(appKey), token, 'EX', Math.max(1, expiresInSec - MARGIN_SEC))
      .catch(() => undefined);
  }

  /** Drops `token` (DingTalk refused it) unless another caller already put a newer one. */
  async forget(appKey: string, token: string): Promise<void> {
    await this.redis
      .eval(
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0",
        1,
        this.key(appKey),
        token,
      )
      .catch(() => undefined);
  }
}
