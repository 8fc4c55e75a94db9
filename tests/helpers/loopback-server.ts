import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a test's peer answers to one request, its body read whole. */
export interface Answer {
  readonly status: number;
  readonly type?: string;
  readonly body?: string;
}

/**
 * A peer of the tests on loopback (an LMS, a webhook receiver): each request is read whole and
 * answered by `handle`. Answers the server and its base URL.
 */
export async function loopbackServer(
  handle: (req: IncomingMessage, body: string, base: string) => Answer,
): Promise<{ server: Server; url: string }> {
  let url = '';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const a = handle(req, Buffer.concat(chunks).toString('utf8'), url);
      res.writeHead(a.status, { 'content-type': a.type ?? 'text/plain' }).end(a.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url };
}
