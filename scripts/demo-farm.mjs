// Runs the product on this machine for a newcomer to look at: the tool (HTTP on VT_TOOL_PORT,
// default 3000), one render node, the reference LTI 1.3 platform simulator (VT_DEMO_PLATFORM_PORT,
// default 4000) registered with the tool through dynamic registration, a demo tenant with an API key,
// and the sample lesson submitted through the API with its progress followed live. Ctrl-C stops it all.
// Run through scripts/demo.sh (it sets up, makes the database and speaks the sample first).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadToolConfig } from '../dist/lti-tool/src/config.js';
import { startTool } from '../dist/lti-tool/src/server.js';
import { ReferencePlatform } from '../dist/reference-platform/src/reference-platform.js';

const [voice, portrait] = process.argv.slice(2);
const config = loadToolConfig({ VT_LOG_LEVEL: 'warn', ...process.env });
const tool = await startTool(config);
const node = spawn(
  process.execPath,
  ['dist/render-node/src/cli/render-node.js', 'start', '--node-id', 'demo-node'],
  {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, VT_QUEUE_PREFIX: config.VT_QUEUE_PREFIX, VT_REDIS_URL: config.VT_REDIS_URL },
  },
);
// The platform on the tool's host name: the launch's cookies are then same-site, as on a real LMS
// behind TLS with SameSite=None.
const platform = await new ReferencePlatform().start(
  Number(process.env.VT_DEMO_PLATFORM_PORT ?? 4000),
  new URL(config.VT_PUBLIC_URL).hostname,
);
await tool.registration.register(platform.openidConfigurationUrl, platform.registrationToken());
for (const t of platform.tools.values()) t.active = true;
const stop = async () => {
  node.kill('SIGTERM');
  await platform.close();
  await tool.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

await tool.tenants.ensureTenant('demo', 'Demo company');
const { secret } = await tool.tenants.createApiKey('demo', 'demo script');
writeFileSync('data/demo-api-key', `${secret}\n`, { mode: 0o600 });
const api = (path, init = {}) =>
  fetch(`${tool.url}${path}`, { ...init, headers: { authorization: `Bearer ${secret}`, ...init.headers } });
const upload = async (kind, file) => {
  const form = new FormData();
  form.set('kind', kind);
  form.set('file', new Blob([readFileSync(file)]), basename(file));
  const res = await api('/api/assets', { method: 'POST', body: form });
  if (!res.ok) throw new Error(`uploading ${file}: ${res.status} ${await res.text()}`);
  return (await res.json()).sha256;
};

const res = await api('/api/renders', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    title: 'Welcome to the team',
    portrait: await upload('portrait', portrait),
    audio: await upload('audio', voice),
    prompt: 'A friendly trainer welcomes new staff in a modern office',
    size: '688*368',
  }),
});
const render = await res.json();
console.log(`\nrender ${render.id} submitted; following its progress (Server-Sent Events)…`);
const events = await api(`/api/renders/${render.id}/events`);
const decoder = new TextDecoder();
let last = '';
for await (const chunk of events.body) {
  for (const m of decoder.decode(chunk).matchAll(/event: (\w+)\ndata: (.*)\n/g)) {
    const data = JSON.parse(m[2]);
    if (m[1] === 'progress') {
      const line = `  ${data.stage.padEnd(8)} ${data.percent.toFixed(0).padStart(3)} %`;
      if (line !== last) console.log((last = line));
    } else if (m[1] === 'state') console.log(`  ${data.state}: ${data.message}`);
    else if (m[1] === 'end') {
      console.log(`\nThe lesson is ${data.state}.`);
      if (data.media) console.log(`Watch it: ${data.media.mp4}\nHLS: ${data.media.hls}`);
      else console.log(data.error ?? '');
    }
  }
}
console.log(`
The tool runs at ${tool.url}:
  ${tool.url}/admin        render nodes and queues (user admin, password in data/admin-password)
  ${tool.url}/metrics      Prometheus metrics
  ${tool.url}/readyz       readiness
  the demo tenant's API key is in data/demo-api-key:
    curl -H "authorization: Bearer $(cat data/demo-api-key)" ${tool.url}/api/renders/${render.id}
The reference LTI 1.3 platform (a simulator of Moodle's side, registered through dynamic registration):
  ${platform.url}/         a course page: "Generate avatar lesson" as the instructor (studio, render,
                           publish), then open the published activity as the learner (player)
Ctrl-C stops the tool, the render node and the platform.`);
