/**
 * The benchmark's NULL TOOL: the least a tool can do for an LTI launch and still be one. It redirects
 * the login to the platform, verifies the id_token's signature with a key fetched once and answers
 * the POST with the page, as the tool does (the same round trips): no database, no state, no nonce,
 * no ltijs. `bench/lti-launch.ts` runs it in a process of its own in place of the real tool, to show
 * what the machine, the platform simulator and the clients allow before the tool does any work.
 *   tsx bench/null-lti-tool.ts <platform url> <port>
 */
import { createServer } from 'node:http';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';

const [platformUrl, port] = [process.argv[2]!, Number(process.argv[3])];
const keys = createLocalJWKSet((await (await fetch(`${platformUrl}/jwks`)).json()) as JSONWebKeySet);
const self = `http://127.0.0.1:${port}`;
let launches = 0;
const PAGE = '<meta name="vt-session" content="null">';

const server = createServer((req, res) => {
  const path = new URL(req.url!, self).pathname;
  if (path === '/lti/login') {
    const n = String(++launches);
    const auth = new URL(`${platformUrl}/auth`);
    auth.search = new URLSearchParams({ state: n, nonce: n, redirect_uri: `${self}/lti/launch` }).toString();
    res.writeHead(302, { location: auth.toString(), 'set-cookie': `state=${n}; HttpOnly` }).end();
  } else if (path === '/lti/launch') {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      jwtVerify(new URLSearchParams(body).get('id_token') ?? '', keys).then(
        () => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE),
        (e: Error) => res.writeHead(401).end(e.message),
      );
    });
  } else {
    res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  }
});
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
