// Runs the product on this machine for a newcomer to look at: the tool (HTTP on VT_TOOL_PORT,
// default 3000), one render node, the reference LTI 1.3 platform simulator (VT_DEMO_PLATFORM_PORT,
// default 4000) registered with the tool through dynamic registration, the DingTalk API simulator
// (VT_DEMO_DINGTALK_PORT, default 4100) with a demo organisation connected to the platform's tenant, a
// demo tenant with an API key, and the sample lesson submitted through the API with its progress
// followed live. Ctrl-C stops it all.
// Run through scripts/demo.sh (it sets up, makes the database and speaks the sample first).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadToolConfig } from '../dist/lti-tool/src/config.js';
import { startTool } from '../dist/lti-tool/src/server.js';
import { ReferencePlatform } from '../dist/reference-platform/src/reference-platform.js';
import { DingTalkSimulator } from '../dist/dingtalk-simulator/src/dingtalk-simulator.js';
import { tenantIdOf } from '../dist/lti-tool/src/lti/lti-registry.js';

const [voice, portrait] = process.argv.slice(2);
// Every peer of the demo (platform and DingTalk simulators) is on this machine.
const config = loadToolConfig({ VT_LOG_LEVEL: 'warn', VT_ALLOW_PRIVATE_HOSTS: 'true', ...process.env });
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

// A DingTalk organisation on the simulator, connected to the platform's tenant: its lessons can be
// assigned to these people, who then open them in the simulator's DingTalk client.
const corpId = 'ding-demo-corp';
const app = { corpId, appKey: 'ding-demo-app', appSecret: 'demo-app-secret', agentId: '2001' };
const dingtalk = await new DingTalkSimulator().start(Number(process.env.VT_DEMO_DINGTALK_PORT ?? 4100));
dingtalk.addApp(app);
dingtalk.addDepartment({ corpId, id: 2, name: '仓库 Warehouse', parentId: 1 });
dingtalk.addDepartment({ corpId, id: 3, name: '销售 Sales', parentId: 1 });
for (const [userid, name, dept] of [
  ['manager', '李主管 Li (training admin)', 1],
  ['wangli', '王丽 Wang Li', 2],
  ['zhangwei', '张伟 Zhang Wei', 2],
  ['chenjing', '陈静 Chen Jing', 3],
])
  dingtalk.addUser({ corpId, userid, unionid: `union-${userid}`, name, deptIds: [dept] });
const [lms] = await tool.registry.list();
await tool.dingtalk.corps.save({
  ...app,
  tenantId: tenantIdOf(lms.issuer, lms.clientId, lms.deploymentIds[0]),
  name: '演示公司 Demo Co',
  adminUserids: ['manager'],
});

const stop = async () => {
  node.kill('SIGTERM');
  await dingtalk.close();
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
The DingTalk simulator (DingTalk's server API and a stand-in of its client, for organisation ${corpId}):
  1. Publish a lesson on the platform's course page (above).
  2. ${dingtalk.url}/client: choose 李主管 (the training admin), then ${tool.url}/admin/login,
     "Sign in with DingTalk" with CorpId ${corpId}: assign the lesson to 仓库 Warehouse.
  3. ${dingtalk.url}/client: choose 王丽, read the work notice, press "开始学习 Start lesson":
     free-login opens the player; watch it to the end for the "Completed" notice.
Ctrl-C stops the tool, the render node and both simulators.`);
