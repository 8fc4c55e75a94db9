import { randomBytes } from 'node:crypto';
import type { HttpFetch } from '../http-fetch.js';
import { DeliveryError, isPermanentStatus } from '../lms-adapter.js';

/** A platform as the services see it: who we are there and where its tokens come from. */
export interface ServicePlatform {
  readonly id: string;
  readonly clientId: string;
  readonly tokenUrl: string;
}

/** Signs a client assertion with the tool's current key (the key the platform knows from our JWKS). */
export type AssertionSigner = (
  claims: Record<string, unknown>,
  o: { issuer: string; subject: string; audience: string; expiresInSec: number },
) => Promise<string>;

/** A token is used until this long before it expires, so none expires in flight. */
const EARLY_SEC = 60;

/**
 * OAuth2 client-credentials tokens for LTI Advantage services (LTI Security Framework §4.1): a JWT
 * client assertion signed with our key is exchanged at the platform's token endpoint. Tokens are
 * cached per platform and scope set until shortly before they expire; `forget` drops one the
 * platform no longer accepts (401), and concurrent callers share one request.
 */
export class ServiceTokens {
  private readonly cache = new Map<string, Promise<{ token: string; expiresAt: number }>>();

  constructor(
    private readonly sign: AssertionSigner,
    private readonly http: HttpFetch,
    private readonly timeoutMs = 10_000,
  ) {}

  async get(platform: ServicePlatform, scopes: readonly string[]): Promise<string> {
    const key = cacheKey(platform, scopes);
    const cached = this.cache.get(key);
    if (cached) {
      const t = await cached.catch(() => undefined);
      if (t && t.expiresAt > Date.now()) return t.token;
      if (this.cache.get(key) === cached) this.cache.delete(key);
    }
    const fresh = this.request(platform, scopes);
    this.cache.set(key, fresh);
    fresh.catch(() => this.cache.get(key) === fresh && this.cache.delete(key));
    return (await fresh).token;
  }

  forget(platform: ServicePlatform, scopes: readonly string[]): void {
    this.cache.delete(cacheKey(platform, scopes));
  }

  private async request(
    platform: ServicePlatform,
    scopes: readonly string[],
  ): Promise<{ token: string; expiresAt: number }> {
    const assertion = await this.sign(
      { jti: randomBytes(16).toString('hex') },
      {
        issuer: platform.clientId,
        subject: platform.clientId,
        audience: platform.tokenUrl,
        expiresInSec: 300,
      },
    );
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      scope: [...scopes].sort().join(' '),
    });
    let res: Response;
    try {
      res = await this.http(platform.tokenUrl, {
        method: 'POST',
        body,
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new DeliveryError(`token endpoint unreachable: ${(e as Error).message}`, false);
    }
    const text = await res.text().catch(() => '');
    let json: { access_token?: string; expires_in?: number } = {};
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      // not JSON: refused below
    }
    if (!res.ok || !json.access_token)
      throw new DeliveryError(
        `token endpoint ${new URL(platform.tokenUrl).pathname} answered ${res.status}${tokenHint(res.status, text)}`,
        isPermanentStatus(res.status),
        res.status,
        undefined,
        text.slice(0, 500),
      );
    const lifetime = Math.max(EARLY_SEC, Number(json.expires_in ?? 3600));
    return { token: json.access_token, expiresAt: Date.now() + (lifetime - EARLY_SEC) * 1000 };
  }
}

/** What a token endpoint's refusal most likely means, for the admin reading the reason. */
function tokenHint(status: number, body: string): string {
  // Moodle answers 404 here when it cannot fetch our keyset to verify the assertion: most often its
  // HTTP security settings block the tool's host or port (shared/docs/lti.md).
  if (status === 404)
    return ': the platform could not verify our signed request. Most likely it cannot fetch the tool’s keyset: in Moodle, Site administration → General → Security → HTTP security, take the tool’s host out of “cURL blocked hosts list” and add its port to “cURL allowed ports list”, then purge caches. Otherwise check the token URL (Moodle: /mod/lti/token.php)';
  if (/invalid_scope/.test(body))
    return ': the platform grants none of the services asked for: enable grade sync and roster access in the tool’s settings there';
  if (status === 400 || status === 401)
    return ': the platform does not accept our signed request: check the client ID there and that its keyset URL for the tool is ours';
  return '';
}

const cacheKey = (p: ServicePlatform, scopes: readonly string[]): string =>
  `${p.id} ${[...scopes].sort().join(' ')}`;
