import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck = 'ok' | 'expired' | 'forged';

/**
 * Signs what a URL grants (a scope such as "render-files:<id>") until an expiry time, with HMAC-SHA256
 * under the tool's shared secret. Whoever holds the URL holds the grant, so scopes are narrow and
 * short-lived; nothing else about the caller is trusted.
 */
export class UrlSigner {
  constructor(private readonly key: Buffer) {}

  /** Expiry as whole seconds since the epoch, the way it travels in URLs. */
  static expiry(ttlSec: number, now = Date.now()): number {
    return Math.floor(now / 1000) + ttlSec;
  }

  sign(scope: string, expSec: number): string {
    return createHmac('sha256', this.key).update(`${scope}\n${expSec}`).digest('base64url');
  }

  check(scope: string, expSec: string | number, signature: string, now = Date.now()): SignatureCheck {
    const exp = Number(expSec);
    if (!Number.isSafeInteger(exp)) return 'forged';
    const expected = Buffer.from(this.sign(scope, exp));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'forged';
    return exp * 1000 < now ? 'expired' : 'ok';
  }
}
