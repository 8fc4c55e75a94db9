import type { Response } from 'express';

/**
 * Lets the launching platform frame this response (CSP frame-ancestors) and, for the deep-linking
 * answer, receive a form post from it (form-action). Everyone else stays out: the app-wide policy
 * allows only 'self'.
 */
export function allowPlatform(res: Response, issuer: string, o: { formPost?: boolean } = {}): void {
  const origin = new URL(issuer).origin;
  let csp = String(res.getHeader('content-security-policy') ?? '');
  csp = csp.replace(/frame-ancestors [^;]*/, `frame-ancestors 'self' ${origin}`);
  if (o.formPost) csp = csp.replace(/form-action [^;]*/, `form-action 'self' ${origin}`);
  res.setHeader('content-security-policy', csp);
}
