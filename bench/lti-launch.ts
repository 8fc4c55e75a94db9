/**
 * LTI launch benchmark (issue: LTI 1.3 tool). The real tool in a process of its own (`vt-tool start`)
 * on the local PostgreSQL; the reference platform simulator and the clients in this process, making
 * full launches over loopback HTTP:
 * OIDC login initiation → id_token signed by the platform (RS256) → POST to the tool (our validation,
 * then ltijs's id_token step) → the page with its session, in answer to the POST. Prints launches/s and p50/p99 latency
 * of whole launches at each concurrency:
 *   npx tsx bench/lti-launch.ts [--launches 1000] [--concurrency 50,200]
 * Then the NULL TOOL (bench/null-lti-tool.ts: a redirect and a signature check, nothing else) takes the
 * tool's place under the same load: the most this machine allows with the simulator and the clients
 * on it, and the ratio.
 */
import { availableParallelism } from 'node:os';
import type { RunningTool } from '../lti-tool/src/server.js';
import { ReferencePlatform } from '../reference-platform/src/reference-platform.js';
import { createTestDatabase, startTestTool, toolConfig } from '../tests/helpers/farm.js';
import { launch, registerManually } from '../tests/helpers/lti.js';
import { recordFigures } from './bench-results.js';
import { cpuSince, cpuTimes } from './cpu-time.js';
import { pct, startToolProcess } from './tool-process.js';
import { arg } from './bench-args.js';

const LAUNCHES = Number(arg('--launches', '1000'));
const LEVELS = arg('--concurrency', '50,200').split(',').map(Number);

const db = await createTestDatabase();
const config = await toolConfig({ VT_DATABASE_URL: db.url });
const platform = await new ReferencePlatform().start();
// Register through a short-lived tool here, then serve launches from the tool's own process.
const registering = await startTestTool({ ...config, VT_TOOL_PORT: 0 });
const reg = await registerManually({ ...registering, url: config.VT_PUBLIC_URL }, platform);
await registering.close();
const tool = { url: config.VT_PUBLIC_URL } as RunningTool;
// Learners cannot deep link; an instructor's deep-linking launch exercises the whole path.
const instructor = { clientId: reg.clientId, userId: '3', kind: 'deeplink' as const, contextId: '101' };

interface Level {
  /** CPU ms a launch in the clients (with the platform simulator) and in PostgreSQL. */
  readonly outsideMs: number;
  readonly concurrency: number;
  readonly perSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly failed: number;
}

/** Launches at each concurrency against whatever answers on the tool's port (process `pid`). */
async function measure(label: string, pid: number): Promise<Level[]> {
  const cpu = () => cpuTimes({ tool: pid, clients: process.pid }, { PostgreSQL: 'postgres' });
  // Warm up: keysets cached, connections pooled, code paths compiled.
  for (let i = 0; i < 50; i++) await launch(tool, platform, instructor);
  console.log(`${label}, ${LAUNCHES} per level, ${availableParallelism()} CPUs`);
  const levels: Level[] = [];
  for (const concurrency of LEVELS) {
    const latencies: number[] = [];
    let failed = 0;
    let next = 0;
    const cpuBefore = cpu();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < LAUNCHES) {
          next++;
          const t0 = performance.now();
          // Each launch a different person, as in a class starting a lesson at once.
          const user = `u${next}`;
          const r = await launch(tool, platform, instructor, { claims: (c) => ({ ...c, sub: user }) });
          latencies.push(performance.now() - t0);
          if (r.status !== 200 || !r.session) {
            if (failed++ === 0)
              console.log(
                `  first failure: ${r.status} ${/<code>(\w+)<\/code>/.exec(r.html)?.[1] ?? r.html.slice(0, 200)}`,
              );
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    // Where the cores went, per launch: the tool, the clients with the platform simulator, PostgreSQL.
    const used = cpuSince(cpuBefore, cpu());
    const perLaunch = Object.entries(used)
      .map(([k, v]) => `${k} ${((v * 1000) / latencies.length).toFixed(1)}`)
      .join(', ');
    latencies.sort((a, b) => a - b);
    const level = {
      outsideMs: ((used.clients! + used.PostgreSQL!) * 1000) / latencies.length,
      concurrency,
      perSec: latencies.length / seconds,
      p50: pct(latencies, 0.5),
      p99: pct(latencies, 0.99),
      failed,
    };
    levels.push(level);
    console.log(
      `  ${String(concurrency).padStart(4)} concurrent: ${level.perSec.toFixed(0)} launches/s, ` +
        `p50 ${level.p50.toFixed(1)} ms, p99 ${level.p99.toFixed(1)} ms, failed ${failed}; CPU ms a launch: ${perLaunch}`,
    );
  }
  return levels;
}

// The tool, then the NULL TOOL in its place on the same port: the floor, in the same run.
let child = await startToolProcess(config);
const real = await measure('LTI launches (login + id_token + page; tool in its own process)', child.pid);
await child.stop();
child = await startToolProcess(config, {
  args: ['bench/null-lti-tool.ts', platform.url, String(config.VT_TOOL_PORT)],
  readyPath: '/page',
});
const floor = await measure('the NULL TOOL (login + id_token + page), the floor', child.pid);
await child.stop();
// The most the real tool could reach on these cores if it cost nothing itself: what its launches
// cost the clients (its pages) and PostgreSQL (its statements) already divides the machine.
for (const [i, r] of real.entries()) {
  const ceiling = (availableParallelism() * 1000) / r.outsideMs;
  console.log(
    `  ${String(r.concurrency).padStart(4)} concurrent: a tool costing 0 CPU would reach at most ` +
      `${ceiling.toFixed(0)} launches/s (clients + PostgreSQL ${r.outsideMs.toFixed(1)} ms a launch), ` +
      `${((100 * ceiling) / floor[i]!.perSec).toFixed(0)} % of the null tool`,
  );
}
await recordFigures(
  'lti-launch',
  real.flatMap((r, i) => [
    {
      name: `launches/s at ${r.concurrency} concurrent`,
      figure: r.perSec,
      unit: '/s',
      floor: floor[i]!.perSec,
      floorWhat: 'null tool',
      ratio: r.perSec / floor[i]!.perSec,
      target: 0.5,
    },
    {
      name: `p99 at ${r.concurrency} concurrent`,
      figure: r.p99,
      unit: 'ms',
      floor: floor[i]!.p99,
      floorWhat: 'null tool p99',
      ratio: floor[i]!.p99 / r.p99,
      target: 1 / 3,
    },
  ]),
);
await platform.close();
await db.drop();
