import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * STAND-IN for the LTI tool's media endpoints (the real media store is issue 3's tool side): serves
 * inputs at signed URLs and takes uploads at a signed, expiring URL, verifying each file's sha256.
 * It can be told to answer 500 to the next uploads, as a tool that is restarting would.
 */
export class MediaEndpointsStandIn {
  readonly uploads = new Map<string, Buffer>();
  failNextUploads = 0;
  refusedUploads = 0;
  private server!: Server;
  private readonly key = 'test-signing-key';
  private readonly inputs = new Map<string, Buffer>();

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      const sig = url.searchParams.get('sig') ?? '';
      if (req.method === 'GET' && url.pathname.startsWith('/media/')) {
        const id = url.pathname.slice('/media/'.length);
        const body = this.inputs.get(id);
        if (!body || sig !== this.sign(`GET ${id}`)) return void res.writeHead(403).end('bad signature');
        return void res.writeHead(200, { 'content-length': body.length }).end(body);
      }
      if (req.method === 'PUT' && url.pathname.startsWith('/upload/')) {
        const [jobId, ...rest] = url.pathname.slice('/upload/'.length).split('/');
        const exp = Number(url.searchParams.get('exp'));
        if (sig !== this.sign(`PUT ${jobId} ${exp}`) || Date.now() > exp)
          return void res.writeHead(403).end('forged or expired');
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (this.failNextUploads > 0) {
            this.failNextUploads--;
            this.refusedUploads++;
            return void res.writeHead(500).end('restarting');
          }
          const body = Buffer.concat(chunks);
          if (createHash('sha256').update(body).digest('hex') !== req.headers['x-content-sha256']) {
            return void res.writeHead(422).end('sha256 mismatch');
          }
          this.uploads.set(`${jobId}/${rest.map(decodeURIComponent).join('/')}`, body);
          res.writeHead(201).end();
        });
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return this;
  }

  get base(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Serves a file; returns the contract's input reference for it. */
  input(id: string, path: string): { url: string; sha256: string; bytes: number } {
    const body = readFileSync(path);
    this.inputs.set(id, body);
    return {
      url: `${this.base}/media/${id}?sig=${this.sign(`GET ${id}`)}`,
      sha256: createHash('sha256').update(body).digest('hex'),
      bytes: body.length,
    };
  }

  uploadUrl(jobId: string, validForMs = 600_000): { uploadUrl: string; expiresAt: string } {
    const exp = Date.now() + validForMs;
    return {
      uploadUrl: `${this.base}/upload/${jobId}/{name}?exp=${exp}&sig=${this.sign(`PUT ${jobId} ${exp}`)}`,
      expiresAt: new Date(exp).toISOString(),
    };
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.server.close(r));
  }

  private sign(what: string): string {
    return createHmac('sha256', this.key).update(what).digest('hex');
  }
}
