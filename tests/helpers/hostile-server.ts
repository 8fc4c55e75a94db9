import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request a hostile or internal server received: what the tool sent it. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/**
 * An HTTP server on a loopback address that answers as `handle` says and records every request: a
 * stand-in for an attacker's server, or for an internal service the tool must never be made to call.
 */
export class HostileServer {
  readonly received: Received[] = [];
  private server: Server | undefined;
  url = '';

  constructor(private readonly handle: (req: Received, res: ServerResponse, self: HostileServer) => void) {}

  async start(host = '127.0.0.1', port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        const r = { method: req.method!, url: req.url!, headers: req.headers, body };
        this.received.push(r);
        this.handle(r, res, this);
      });
    });
    await new Promise<void>((r) => this.server!.listen(port, host, r));
    this.url = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

export const json = (res: ServerResponse, status: number, body: unknown): void =>
  void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
