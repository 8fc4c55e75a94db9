import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

export interface ServerPolicyOptions {
  /** A request body that moves no byte for this long is answered 408 and its connection closed. */
  readonly stallSec: number;
  readonly log: Logger;
}

interface Receiving {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  bytesRead: number;
  movedAt: number;
}

/**
 * How the tool's HTTP server treats a misbehaving request, whatever route it reaches:
 *
 * - An error on one request's streams (a client gone mid-answer, a handler answering twice) is logged
 *   and ends that request only. Node emits these as 'error' events, and an 'error' event nobody
 *   listens to ends the process: every request and response gets a listener.
 * - There is no fixed limit on how long a request may take (a 512 MB upload on a slow link needs
 *   longer than Node's 300 s), but its body must keep moving: one that stalls for `stallSec` is
 *   answered 408 and its connection closed, so a trickling client cannot hold a connection forever.
 */
export function applyServerPolicy(server: Server, o: ServerPolicyOptions): () => void {
  const receiving = new Set<Receiving>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const onError = (e: Error): void => void o.log.debug({ err: e.message, url: req.url }, 'request stream');
    req.on('error', onError);
    res.on('error', onError);
    if (req.complete || !hasBody(req)) return;
    const r: Receiving = { req, res, bytesRead: req.socket.bytesRead, movedAt: Date.now() };
    receiving.add(r);
    const done = (): boolean => receiving.delete(r);
    req.once('end', done);
    req.once('close', done);
    res.once('close', done);
  });
  const stallMs = o.stallSec * 1000;
  const timer = setInterval(
    () => {
      const now = Date.now();
      for (const r of receiving) {
        if (r.req.complete || r.req.socket.destroyed) {
          receiving.delete(r);
          continue;
        }
        const read = r.req.socket.bytesRead;
        if (read > r.bytesRead) {
          r.bytesRead = read;
          r.movedAt = now;
        } else if (now - r.movedAt > stallMs) {
          receiving.delete(r);
          o.log.info({ url: r.req.url, stalledSec: o.stallSec }, 'request body stalled; connection closed');
          if (!r.res.headersSent)
            r.res.writeHead(408, { 'content-type': 'application/json', connection: 'close' });
          r.res.end(JSON.stringify({ error: `The request body sent nothing for ${o.stallSec} s.` }), () =>
            r.req.socket.destroy(),
          );
          // A client that reads nothing either: do not wait for the answer to drain.
          setTimeout(() => r.req.socket.destroy(), 1000).unref();
        }
      }
    },
    Math.max(100, Math.min(5000, stallMs / 4)),
  ).unref();
  return () => clearInterval(timer);
}

const hasBody = (req: IncomingMessage): boolean =>
  Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
