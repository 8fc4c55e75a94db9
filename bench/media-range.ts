/**
 * Media serving benchmark: Range requests for a 50 MB lesson, as video players make them (random
 * 1 MiB ranges over keep-alive connections), answered by the real tool (`vt-tool start`: a signed
 * player URL, the render looked up, the file sent from the media store) and, as the floor, by nginx
 * (Debian's, one worker, sendfile) serving the same file on the same machine; and the production
 * path, nginx in front of the tool, two ways: the tool checks each request and answers X-Accel-Redirect
 * and nginx sends the bytes (VT_MEDIA_ACCEL_PREFIX), or nginx relays the bytes the tool sends. Same
 * client, same ranges, one after the other.
 *   npx tsx bench/media-range.ts [--mb 50] [--seconds 10] [--connections 16] [--range-kb 1024]
 * Needs nginx (apt-get install nginx-light).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, freePort, toolConfig } from '../tests/helpers/farm.js';
import { seedFinishedRender } from '../tests/helpers/finished-render.js';
import { recordFigures } from './bench-results.js';
import { pct, startToolProcess } from './tool-process.js';
import { arg } from './bench-args.js';

const MB = Number(arg('--mb', '50'));
const SECONDS = Number(arg('--seconds', '10'));
const CONNECTIONS = Number(arg('--connections', '16'));
const RANGE = Number(arg('--range-kb', '1024')) * 1024;
const SIZE = MB * 1024 * 1024;

// The lesson file: random bytes stand in for video (serving does not look inside).
const dir = await mkdtemp(join(tmpdir(), 'vt-bench-media-'));
const lessonFile = join(dir, 'www', 'lesson.mp4');
await mkdir(join(dir, 'www'));
await writeFile(lessonFile, randomBytes(SIZE));

// The tool, with the file as a finished render's lesson.mp4.
const db = await createTestDatabase();
const config = await toolConfig({ VT_DATABASE_URL: db.url });
const tool = await startToolProcess(config);
const { lessonUrl } = await seedFinishedRender(config, lessonFile);
const toolUrl = new URL(lessonUrl);

// The same tool in production dress: behind nginx, handing the bytes to it.
const accelPort = await freePort();
const behind = { ...config, VT_TOOL_PORT: await freePort(), VT_MEDIA_ACCEL_PREFIX: '/_media/' };
const toolBehind = await startToolProcess({
  ...behind,
  VT_PUBLIC_URL: `http://127.0.0.1:${behind.VT_TOOL_PORT}`,
});

// nginx, one worker (as the tool is one process), sendfile, keep-alive: the plain file server, and
// the front of the tool (docs/deploy.md has the same two locations).
const nginxPort = await freePort();
const proxyPort = await freePort();
await writeFile(
  join(dir, 'nginx.conf'),
  `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000; client_body_temp_path ${dir};
  proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  types { video/mp4 mp4; }
  upstream tool { server 127.0.0.1:${behind.VT_TOOL_PORT}; keepalive 32; }
  upstream direct { server 127.0.0.1:${config.VT_TOOL_PORT}; keepalive 32; }
  server { listen 127.0.0.1:${nginxPort}; root ${dir}/www; }
  server { listen 127.0.0.1:${proxyPort};
    location / { proxy_pass http://direct; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $host; proxy_set_header X-Forwarded-For $remote_addr; } }
  server { listen 127.0.0.1:${accelPort};
    location /_media/ { internal; alias ${config.VT_MEDIA_DIR}/; }
    location / { proxy_pass http://tool; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $host; proxy_set_header X-Forwarded-For $remote_addr; } } }
`,
);
const nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'inherit' });
for (let up = false; !up; await sleep(100))
  up = await fetch(`http://127.0.0.1:${nginxPort}/lesson.mp4`, { method: 'HEAD' }).then(
    (r) => r.ok,
    () => false,
  );
const nginxUrl = new URL(`http://127.0.0.1:${nginxPort}/lesson.mp4`);

/** Random ranges on keep-alive connections for `SECONDS`: MB/s and latencies. */
async function hammer(url: URL): Promise<{ mbPerSec: number; p50: number; p99: number; bad: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const get = (start: number): Promise<{ bytes: number; ok: boolean }> =>
    new Promise((resolve) => {
      const req = http.get(
        url,
        { agent, headers: { range: `bytes=${start}-${start + RANGE - 1}` } },
        (res) => {
          let bytes = 0;
          res.on('data', (c: Buffer) => (bytes += c.length));
          res.on('end', () => resolve({ bytes, ok: res.statusCode === 206 && bytes === RANGE }));
        },
      );
      req.on('error', () => resolve({ bytes: 0, ok: false }));
    });
  const latencies: number[] = [];
  let bytes = 0;
  let bad = 0;
  const warmEnd = performance.now() + 1000;
  let started = 0;
  const end = warmEnd + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const r = await get(Math.floor(Math.random() * (SIZE - RANGE)));
        if (t0 < warmEnd) continue;
        started ||= t0;
        if (!r.ok) bad++;
        bytes += r.bytes;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const sec = (performance.now() - warmEnd) / 1000;
  return { mbPerSec: bytes / 2 ** 20 / sec, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), bad };
}

const behindUrl = new URL(toolUrl.pathname + toolUrl.search, `http://127.0.0.1:${accelPort}`);
const viaTool = await hammer(toolUrl);
const viaNginx = await hammer(nginxUrl);
const viaBehind = await hammer(behindUrl);
const viaProxy = await hammer(new URL(toolUrl.pathname + toolUrl.search, `http://127.0.0.1:${proxyPort}`));
const line = (who: string, r: typeof viaTool): string =>
  `${who}: ${r.mbPerSec.toFixed(0)} MB/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms` +
  (r.bad ? `, ${r.bad} bad answers` : '');
console.log(
  `${MB} MB lesson, random ${RANGE / 1024} KiB ranges, ${CONNECTIONS} connections, ${SECONDS} s each`,
);
console.log(line('tool ', viaTool));
console.log(line('nginx', viaNginx));
console.log(line('tool behind nginx (X-Accel-Redirect)', viaBehind));
console.log(line('tool behind nginx (proxied bytes)', viaProxy));
await recordFigures('media-range', [
  {
    name: 'Range throughput',
    figure: viaTool.mbPerSec,
    unit: 'MB/s',
    floor: viaNginx.mbPerSec,
    floorWhat: 'nginx, same file, same client',
    ratio: viaTool.mbPerSec / viaNginx.mbPerSec,
    target: 0.7,
  },
  {
    name: 'Range throughput behind nginx (X-Accel-Redirect)',
    figure: viaBehind.mbPerSec,
    unit: 'MB/s',
    floor: viaNginx.mbPerSec,
    floorWhat: 'nginx alone',
    ratio: viaBehind.mbPerSec / viaNginx.mbPerSec,
    target: 0.7,
  },
  {
    name: 'Range throughput behind nginx (proxied bytes)',
    figure: viaProxy.mbPerSec,
    unit: 'MB/s',
    floor: viaNginx.mbPerSec,
    floorWhat: 'nginx alone',
    ratio: viaProxy.mbPerSec / viaNginx.mbPerSec,
  },
  {
    name: 'Range p99 latency',
    figure: viaTool.p99,
    unit: 'ms',
    floor: viaNginx.p99,
    floorWhat: 'nginx p99',
    ratio: viaNginx.p99 / viaTool.p99,
  },
]);

nginx.kill('SIGTERM');
await Promise.all([tool.stop(), toolBehind.stop()]);
await db.drop();
