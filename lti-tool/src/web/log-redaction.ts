/**
 * What request logs must not hold: capabilities that travel in URLs. A one-time registration token
 * (`/lti/register/<token>`), an exported package's token (`/packages/<token>/play`), a signed media
 * URL's signature, ltijs's ltik and the LMS's registration
 * token would each let a reader of the logs act as their holder.
 */
const SECRET_QUERY = new Set([
  'ltik',
  'registration_token',
  'access_token',
  'session',
  'state',
  'code',
  'authCode',
  'sig',
]);
const REDACTED = '[Redacted]';

export function secretFreeUrl(url: string): string {
  const [path = '', query] = url.split('?', 2);
  const safePath = path
    .replace(/^(\/lti\/register\/)[^/]+/, `$1${REDACTED}`)
    .replace(/^(\/packages\/)[^/]+/, `$1${REDACTED}`)
    .replace(/^(\/media\/(?:node\/)?(?:renders|posters)\/[^/]+\/[^/]+\/)[^/]+/, `$1${REDACTED}`);
  if (query === undefined) return safePath;
  const params = new URLSearchParams(query);
  for (const key of [...params.keys()]) if (SECRET_QUERY.has(key)) params.set(key, REDACTED);
  return `${safePath}?${params.toString()}`;
}

/** pino-http's request serializer, wrapped: the same fields with secrets taken out of URLs. */
export function redactRequest(req: { url?: string; query?: object; params?: object }): object {
  const query = Object.fromEntries(
    Object.entries(req.query ?? {}).map(([k, v]) => [k, SECRET_QUERY.has(k) ? REDACTED : (v as unknown)]),
  );
  const params = Object.fromEntries(
    Object.entries(req.params ?? {}).map(([k, v]) => [
      k,
      k === 'token' || k === 'sig' ? REDACTED : (v as unknown),
    ]),
  );
  return { ...req, url: req.url && secretFreeUrl(req.url), query, params };
}
