import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
} from 'jose';
import type { HttpFetch } from '../../../adapters/http-fetch.js';
import type { Db } from '../db/database.js';
import { OutboundRefused } from '../net/outbound-http.js';
import { checkLaunchClaims, LaunchError } from './launch-claims.js';
import { CLAIM } from './lti-claims.js';
import type { LtiRegistry } from './lti-registry.js';

export interface ValidLaunch {
  readonly claims: JWTPayload;
  readonly platformId: string;
  readonly tenantId: string;
  readonly clientId: string;
}

export interface LaunchValidatorOptions {
  /** Clock skew allowed on exp and iat. */
  readonly skewSec: number;
  /** An id_token older than this is refused (Moodle's live for 60 s). */
  readonly maxAgeSec: number;
  /** target_link_uri must be one of ours. */
  readonly publicUrl: string;
  /** The tool's guarded outbound client: keysets are fetched through it. */
  readonly http: HttpFetch;
}

/**
 * Validates an id_token completely before ltijs sees it, so that every check the LTI 1.3 security
 * framework asks for holds whatever ltijs does or skips (it has no clock skew, no deployment check,
 * no azp rule for several audiences, and keeps nonces only 10 s). Platform keysets are cached
 * (refetched on an unknown kid, at most every 30 s), not fetched on every launch.
 */
export class LaunchValidator {
  private readonly keysets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(
    private readonly db: Db,
    private readonly registry: LtiRegistry,
    private readonly o: LaunchValidatorOptions,
  ) {}

  /** Deletes nonces past the time a token carrying them could be accepted; idempotent. */
  async sweepNonces(): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM lti_nonces WHERE expires_at < now()');
    return rowCount ?? 0;
  }

  /**
   * Every check, then the nonce is spent. With `spendNonce: false` nothing is written: a nonce
   * already spent is still refused (NONCE_REUSED), a fresh one stays usable.
   */
  async validate(idToken: string, o: { spendNonce?: boolean } = {}): Promise<ValidLaunch> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(idToken);
      unverified = decodeJwt(idToken);
    } catch {
      throw new LaunchError('NOT_A_JWT', 'The id_token is not a JWT.');
    }
    if (header.alg !== 'RS256') throw new LaunchError('ALG_NOT_ALLOWED', `alg ${header.alg} is not RS256.`);
    if (!header.kid) throw new LaunchError('KID_MISSING', 'The id_token header names no kid.');
    const audiences = [unverified.aud ?? []].flat();
    const platform = await this.registry.platformByClient(String(unverified.iss), audiences);
    if (!platform)
      throw new LaunchError('UNREGISTERED_PLATFORM', `No platform ${unverified.iss} with these client ids.`);

    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(idToken, this.keyset(platform.keysetUrl), {
        algorithms: ['RS256'],
        issuer: platform.issuer,
        audience: platform.clientId,
        clockTolerance: this.o.skewSec,
        maxTokenAge: this.o.maxAgeSec,
        requiredClaims: ['iat', 'exp'],
      }));
    } catch (e) {
      throw verifyProblem(e);
    }
    checkLaunchClaims(claims, {
      clientId: platform.clientId,
      publicUrl: this.o.publicUrl,
      skewSec: this.o.skewSec,
      nowSec: Date.now() / 1000,
    });

    const deploymentId = String(claims[CLAIM.deploymentId] ?? '');
    const tenantId = Object.hasOwn(platform.tenantByDeployment, deploymentId)
      ? platform.tenantByDeployment[deploymentId]
      : undefined;
    if (!tenantId) throw new LaunchError('UNKNOWN_DEPLOYMENT', `Deployment ${deploymentId} is unknown.`);

    // Last, once everything else holds: a nonce is used up only by a launch that would succeed.
    if (typeof claims.nonce !== 'string' || !claims.nonce)
      throw new LaunchError('NONCE_MISSING', 'No nonce.');
    if (o.spendNonce === false) {
      const spent = await this.db.query('SELECT 1 FROM lti_nonces WHERE issuer = $1 AND nonce = $2', [
        platform.issuer,
        claims.nonce,
      ]);
      if (spent.rowCount) throw new LaunchError('NONCE_REUSED', 'This id_token was used before.');
      return { claims, platformId: platform.id, tenantId, clientId: platform.clientId };
    }
    const { rowCount } = await this.db.query(
      `INSERT INTO lti_nonces (issuer, nonce, expires_at)
       VALUES ($1, $2, to_timestamp($3) + make_interval(secs => $4)) ON CONFLICT DO NOTHING`,
      [platform.issuer, claims.nonce, claims.exp, this.o.skewSec + this.o.maxAgeSec],
    );
    if (rowCount !== 1) throw new LaunchError('NONCE_REUSED', 'This id_token was used before.');
    return { claims, platformId: platform.id, tenantId, clientId: platform.clientId };
  }

  private keyset(url: string): ReturnType<typeof createRemoteJWKSet> {
    let set = this.keysets.get(url);
    if (!set) {
      set = createRemoteJWKSet(new URL(url), {
        cacheMaxAge: 10 * 60_000,
        cooldownDuration: 30_000,
        timeoutDuration: 5000,
        [customFetch]: (u, options) => this.o.http(u, options),
      });
      this.keysets.set(url, set);
    }
    return set;
  }
}

function verifyProblem(e: unknown): LaunchError {
  const message = (e as Error).message;
  if (e instanceof errors.JWTExpired) return new LaunchError('TOKEN_EXPIRED', 'The id_token has expired.');
  if (e instanceof errors.JWKSNoMatchingKey)
    return new LaunchError('KEY_NOT_FOUND', "The id_token's kid is not in the platform's keyset.");
  if (
    e instanceof OutboundRefused ||
    e instanceof errors.JWKSTimeout ||
    e instanceof errors.JWKSInvalid ||
    /fetch|reached|in time|ECONNREFUSED|Expected 200/i.test(message)
  )
    return new LaunchError('KEYSET_UNREACHABLE', "The platform's keyset could not be fetched.");
  if (e instanceof errors.JWSSignatureVerificationFailed)
    return new LaunchError('BAD_SIGNATURE', 'The id_token signature does not verify.');
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return new LaunchError('WRONG_AUDIENCE', 'The id_token is not for our client id.');
    if (e.claim === 'iss') return new LaunchError('WRONG_ISSUER', 'The id_token issuer does not match.');
    if (e.claim === 'iat' || e.claim === 'nbf')
      return new LaunchError('IAT_INVALID', `iat/nbf check failed: ${message}`);
    return new LaunchError('IAT_INVALID', message);
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return new LaunchError('ALG_NOT_ALLOWED', message);
  return new LaunchError('BAD_SIGNATURE', `The id_token does not verify: ${message}`);
}
