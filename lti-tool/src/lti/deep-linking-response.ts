import { randomBytes } from 'node:crypto';
import { CLAIM } from './lti-claims.js';
import type { ToolKeys } from './tool-keys.js';

/** An LtiResourceLink content item (LTI Deep Linking 2.0 §3.4.2), with the line item for the gradebook. */
export interface ResourceLinkItem {
  readonly type: 'ltiResourceLink';
  readonly title: string;
  readonly text?: string;
  readonly url: string;
  readonly custom?: Record<string, string>;
  readonly lineItem?: { scoreMaximum: number; label: string; resourceId?: string; tag?: string };
}

export interface DeepLinkingReturn {
  /** Our client id at the platform: the response's issuer. */
  readonly clientId: string;
  /** The platform's issuer: the response's audience. */
  readonly platformIssuer: string;
  readonly deploymentId: string;
  /** The `data` of the request's deep_linking_settings, which must come back unchanged. */
  readonly data?: string;
}

/** Lifetime of the response: the author's browser posts it back at once. */
const RESPONSE_TTL_SEC = 300;

/** The signed LtiDeepLinkingResponse JWT the author's browser posts to deep_link_return_url. */
export function signDeepLinkingResponse(
  keys: ToolKeys,
  r: DeepLinkingReturn,
  items: readonly ResourceLinkItem[],
  message: string,
): Promise<string> {
  return keys.sign(
    {
      nonce: randomBytes(16).toString('hex'),
      [CLAIM.messageType]: 'LtiDeepLinkingResponse',
      [CLAIM.version]: '1.3.0',
      [CLAIM.deploymentId]: r.deploymentId,
      [CLAIM.contentItems]: items,
      [CLAIM.dlMsg]: message,
      ...(r.data !== undefined ? { [CLAIM.dlData]: r.data } : {}),
    },
    { issuer: r.clientId, audience: r.platformIssuer, expiresInSec: RESPONSE_TTL_SEC },
  );
}
