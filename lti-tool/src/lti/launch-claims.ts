import type { JWTPayload } from 'jose';
import { CLAIM } from './lti-claims.js';

/** Why a launch was refused: a code for the log and the error page, never a stack trace. */
export type LaunchProblem =
  | 'NOT_A_JWT'
  | 'ALG_NOT_ALLOWED'
  | 'KID_MISSING'
  | 'UNREGISTERED_PLATFORM'
  | 'KEY_NOT_FOUND'
  | 'KEYSET_UNREACHABLE'
  | 'BAD_SIGNATURE'
  | 'TOKEN_EXPIRED'
  | 'IAT_INVALID'
  | 'WRONG_ISSUER'
  | 'WRONG_AUDIENCE'
  | 'AZP_MISMATCH'
  | 'NONCE_MISSING'
  | 'NONCE_REUSED'
  | 'UNKNOWN_DEPLOYMENT'
  | 'MESSAGE_TYPE'
  | 'WRONG_VERSION'
  | 'NO_ROLES'
  | 'NO_RESOURCE_LINK'
  | 'NO_SUB'
  | 'NO_DEEP_LINKING_SETTINGS'
  | 'TARGET_LINK_URI';

export class LaunchError extends Error {
  constructor(
    readonly problem: LaunchProblem,
    message: string,
  ) {
    super(message);
  }
}

const MESSAGE_TYPES = ['LtiResourceLinkRequest', 'LtiDeepLinkingRequest'];

/** What a verified id_token's claims are checked against. */
export interface ClaimExpectations {
  /** Our client id at the platform that signed the token. */
  readonly clientId: string;
  /** target_link_uri must be one of ours. */
  readonly publicUrl: string;
  /** Clock skew allowed on iat. */
  readonly skewSec: number;
  readonly nowSec: number;
}

/**
 * The LTI 1.3 rules on a launch's claims once its signature, issuer, audience and expiry verified
 * (the Security Framework's and the Core's message rules); throws the first problem found.
 */
export function checkLaunchClaims(claims: JWTPayload, o: ClaimExpectations): void {
  if (typeof claims.iat === 'number' && claims.iat > o.nowSec + o.skewSec)
    throw new LaunchError('IAT_INVALID', 'The id_token was issued in the future.');
  if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== o.clientId)
    throw new LaunchError('AZP_MISMATCH', 'Several audiences, and azp is not our client id.');
  if (claims.azp !== undefined && claims.azp !== o.clientId)
    throw new LaunchError('AZP_MISMATCH', 'azp is not our client id.');

  const messageType = claims[CLAIM.messageType];
  if (typeof messageType !== 'string' || !MESSAGE_TYPES.includes(messageType))
    throw new LaunchError('MESSAGE_TYPE', `Unsupported message_type ${String(messageType)}.`);
  if (claims[CLAIM.version] !== '1.3.0')
    throw new LaunchError('WRONG_VERSION', `LTI version ${String(claims[CLAIM.version])} is not 1.3.0.`);
  if (!Array.isArray(claims[CLAIM.roles])) throw new LaunchError('NO_ROLES', 'No roles claim.');
  if (messageType === 'LtiResourceLinkRequest') {
    if (!(claims[CLAIM.resourceLink] as { id?: unknown } | undefined)?.id)
      throw new LaunchError('NO_RESOURCE_LINK', 'A resource link launch without resource_link.id.');
    if (!claims.sub) throw new LaunchError('NO_SUB', 'A resource link launch without sub.');
  } else if (
    !(claims[CLAIM.deepLinkingSettings] as { deep_link_return_url?: unknown } | undefined)
      ?.deep_link_return_url
  )
    throw new LaunchError('NO_DEEP_LINKING_SETTINGS', 'A deep-linking launch without a return URL.');
  const target = String(claims[CLAIM.targetLinkUri] ?? '');
  if (!target.startsWith(`${o.publicUrl}/`))
    throw new LaunchError('TARGET_LINK_URI', `target_link_uri ${target} is not this tool.`);
}
