/**
 * The progress benchmark's NULL ENDPOINT: the same kind of HTTP server as the tool's (node:http,
 * keep-alive as long), answering POST /lti/progress the least it can and still be one: read the body,
 * parse the JSON, answer 200 with a small JSON body. No schema, no session, no database.
 * `bench/progress.ts` runs it in a process of its own, after the tool, under the same load.
 *   tsx bench/null-heartbeat.ts <port>
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/lti/progress') {
    res.writeHead(req.url === '/readyz' ? 200 : 404).end();
    return;
  }
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    try {
      JSON.parse(body);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end('{"ok":true}');
    } catch {
      res.writeHead(400).end();
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1');
