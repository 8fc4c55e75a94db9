import type { IncomingMessage } from 'node:http';

/**
 * A small request body as text, for the endpoints answered in front of Express (heartbeats,
 * answers): 'too large' past `maxBytes` (the rest is not read); undefined if the client left.
 */
export function readSmallBody(
  req: IncomingMessage,
  maxBytes: number,
): Promise<string | 'too large' | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return Promise.resolve('too large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      if (bytes > maxBytes) {
        req.removeAllListeners('data').resume();
        resolve('too large');
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
    req.on('aborted', () => resolve(undefined));
  });
}
