import { createServer, type Server } from 'node:http';
import type { Redis } from 'ioredis';
import type { NodePresence } from './node-presence.js';

/**
 * The node's health endpoint for the orchestrator: GET /healthz answers 200 with what the node is doing
 * while its Redis connection is up, 503 when it is not (the node cannot take or report jobs then).
 */
export function startHealthServer(
  at: { port: number; host: string },
  redis: Redis,
  presence: NodePresence,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/healthz') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const ok = redis.status === 'ready';
    const body = {
      status: ok ? 'ok' : 'redis unavailable',
      nodeId: presence.identity.nodeId,
      engines: presence.identity.engines,
      currentJobs: presence.currentJobs,
      redis: redis.status,
    };
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve(server));
  });
}
