/**
 * Heartbeat ingestion and grade delivery benchmark (issue: learner progress to the gradebook). The
 * real tool in a process of its own (`vt-tool start`) on the local PostgreSQL and Redis; the
 * reference platform simulator (AGS peer) and the simulated learners in this process.
 *  1. 1,000 learners, each sending a heartbeat every 200 ms (5,000/s offered) for `--seconds`:
 *     heartbeats/s taken and p50/p99 latency; then the same load against a null endpoint
 *     (bench/null-heartbeat.ts), the floor, and the ratio.
 *  2. 200 learners finishing a lesson: time from the completing heartbeat's answer to the Completed
 *     score reaching the platform, p50/p95.
 *   npx tsx bench/progress.ts [--learners 1000] [--every-ms 200] [--seconds 20]
 * Each learner keeps one connection (node:http, keep-alive), as a browser does; undici's fetch costs
 * the client so much CPU on this machine's two cores that it, not the tool, would be measured.
 * Every learner's first heartbeat (their progress row, and a Started score to the LMS) is sent before
 * the clock starts; latencies are then counted after a warm-up of WARMUP_MS, reported apart.
 * The lessons and launch sessions are seeded in PostgreSQL directly (bench/learner-fixture.ts).
 */
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import http from 'node:http';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../tests/helpers/farm.js';
import { learnerFixture, offerLoad, postJson, type OfferedRun } from './learner-fixture.js';
import { cpuSince, cpuTimes } from './cpu-time.js';
import { recordFigures } from './bench-results.js';
import { pct, startToolProcess } from './tool-process.js';
import { arg } from './bench-args.js';

const LEARNERS = Number(arg('--learners', '1000'));
const EVERY_MS = Number(arg('--every-ms', '200'));
const SECONDS = Number(arg('--seconds', '20'));
const FINISHERS = 200;
const WARMUP_MS = 2_000;

const fixture = await learnerFixture();
const { config, sql, platform } = fixture;
// A course with two published lessons (10 minutes and 10 seconds long).
const longLesson = await fixture.lesson('Ten minutes', 600);
const shortLesson = await fixture.lesson('Ten seconds', 10);
const lineItemId = randomUUID();
platform.lineItems.set(lineItemId, {
  id: lineItemId,
  contextId: '101',
  label: 'Ten seconds',
  scoreMaximum: 100,
});
const sessionFor = (user: string, lessonId: string): Promise<string> =>
  fixture.sessionFor(user, lessonId, `${platform.url}/ags/101/lineitems/${lineItemId}`);

const child = await startToolProcess(config);

// Each learner keeps a connection (keep-alive), as a browser does.
const agent = new http.Agent({ keepAlive: true, maxSockets: LEARNERS });
const toolUrl = new URL(config.VT_PUBLIC_URL);
const toolPort = toolUrl.port;
const heartbeat = (body: unknown, port: string | number = toolPort): Promise<number> =>
  postJson(agent, { host: toolUrl.hostname, port }, '/lti/progress', body);

// 1. Ingestion.
const tokens = await Promise.all(Array.from({ length: LEARNERS }, (_, i) => sessionFor(`L${i}`, longLesson)));
// Every learner's first heartbeat, before the clock starts: it makes their progress row and sends
// Started to the LMS (1,000 scores at once), which is the completion part's subject, not this one's.
const scoresBefore = platform.scores.length;
await Promise.all(
  tokens.map(async (session, i) => {
    await sleep((i * 1000) / LEARNERS);
    await heartbeat({ session, lessonId: longLesson, seq: 1, position: 0, intervals: [], event: 'tick' });
  }),
);
for (
  const deadline = Date.now() + 60_000;
  platform.scores.length < scoresBefore + LEARNERS && Date.now() < deadline;
)
  await sleep(50);
/**
 * The offered load (every learner, one heartbeat every `everyMs`) for SECONDS against `port`. Each
 * pass numbers its heartbeats from `seqFrom`, so a later pass is new to the tool, not a replay it
 * would drop cheaply.
 */
const offer = (port: string | number, everyMs = EVERY_MS, seqFrom = 1): Promise<OfferedRun> =>
  offerLoad({ learners: LEARNERS, everyMs, seconds: SECONDS, warmupMs: WARMUP_MS }, (i, n) => {
    const position = (((n + 1) * everyMs) / 1000) % 590;
    return heartbeat(
      {
        session: tokens[i],
        lessonId: longLesson,
        seq: seqFrom + n + 1,
        position: position + everyMs / 1000,
        intervals: [[position, position + everyMs / 1000]],
        event: 'tick',
      },
      port,
    );
  });

const cpu = (): ReturnType<typeof cpuTimes> =>
  cpuTimes({ tool: child.pid, learners: process.pid }, { PostgreSQL: 'postgres', Redis: 'redis-server' });
const cpuBefore = cpu();
// The learners' own event loop: a stall there shows in every latency measured meanwhile.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const run = await offer(toolPort);
const { latencies, warmup, failures, sent } = run;
const used = cpuSince(cpuBefore, cpu());
loopDelay.disable();
console.log(
  `Heartbeats (${LEARNERS} learners, one every ${EVERY_MS} ms each = ${(LEARNERS * 1000) / EVERY_MS}/s offered; tool in its own process; ${availableParallelism()} CPUs)`,
);
const notTaken = [...failures.values()].reduce((a, b) => a + b, 0);
console.log(
  `  ${run.perSec.toFixed(0)} heartbeats/s taken, p50 ${pct(latencies, 0.5).toFixed(1)} ms, ` +
    `p95 ${pct(latencies, 0.95).toFixed(1)} ms, p99 ${pct(latencies, 0.99).toFixed(1)} ms ` +
    `(after ${WARMUP_MS / 1000} s warm-up), not taken ${notTaken} of ${sent}` +
    (notTaken ? ` (${[...failures].map(([st, n]) => `${n} × ${st || 'no answer'}`).join(', ')})` : ''),
);
console.log(
  `  during the warm-up: p50 ${pct(warmup, 0.5).toFixed(1)} ms, p99 ${pct(warmup, 0.99).toFixed(1)} ms; ` +
    `the learners' own event-loop delay: p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, ` +
    `max ${(loopDelay.max / 1e6).toFixed(1)} ms`,
);
// Where the cores went: CPU per heartbeat taken, by party, and the cores that would take the offer.
const usPer = (sec: number): number => (sec * 1e6) / sent;
const total = Object.values(used).reduce((a, b) => a + b, 0);
console.log(
  `  CPU per heartbeat: ${Object.entries(used)
    .map(([who, sec]) => `${who} ${usPer(sec).toFixed(0)} µs`)
    .join(', ')}; all ${usPer(total).toFixed(0)} µs = ` +
    `${((usPer(total) * LEARNERS * 1000) / EVERY_MS / 1e6).toFixed(2)} cores at the offered rate`,
);

// The floor: the same learners and load against a null endpoint (same kind of server, parse and
// answer, no database), in a process of its own as the tool is.
const nullPort = await freePort();
const nullChild = await startToolProcess(
  { ...config, VT_PUBLIC_URL: `http://127.0.0.1:${nullPort}` },
  { args: ['bench/null-heartbeat.ts', String(nullPort)] },
);
const nullCpu = (): ReturnType<typeof cpuTimes> =>
  cpuTimes({ endpoint: nullChild.pid, learners: process.pid }, {});
const nullBefore = nullCpu();
const floor = await offer(nullPort);
const nullUsed = cpuSince(nullBefore, nullCpu());
console.log(
  `  the NULL ENDPOINT, same load: ${floor.perSec.toFixed(0)}/s taken, p50 ${pct(floor.latencies, 0.5).toFixed(1)} ms, ` +
    `p99 ${pct(floor.latencies, 0.99).toFixed(1)} ms; CPU per heartbeat: endpoint ` +
    `${((nullUsed.endpoint! * 1e6) / floor.sent).toFixed(0)} µs, learners ${((nullUsed.learners! * 1e6) / floor.sent).toFixed(0)} µs`,
);
// Half the offered rate, where the machine is not saturated by the real path: latency is then the
// work's, not a queue's. Numbered past the first pass, so the tool takes every one as new.
const halfFloor = await offer(nullPort, EVERY_MS * 2, 1_000_000);
await nullChild.stop();
const half = await offer(toolPort, EVERY_MS * 2, 1_000_000);
console.log(
  `  at half the rate (${(LEARNERS * 500) / EVERY_MS}/s): the tool p99 ${pct(half.latencies, 0.99).toFixed(1)} ms ` +
    `(p50 ${pct(half.latencies, 0.5).toFixed(1)} ms, taken ${half.perSec.toFixed(0)}/s), the null endpoint p99 ` +
    `${pct(halfFloor.latencies, 0.99).toFixed(1)} ms`,
);
await recordFigures('progress', [
  {
    name: 'heartbeats taken',
    figure: run.perSec,
    unit: '/s',
    floor: floor.perSec,
    floorWhat: 'null endpoint, same load',
    ratio: run.perSec / floor.perSec,
    target: 0.6,
  },
  {
    name: 'heartbeat p99',
    figure: pct(latencies, 0.99),
    unit: 'ms',
    floor: pct(floor.latencies, 0.99),
    floorWhat: 'null endpoint p99',
    ratio: pct(floor.latencies, 0.99) / pct(latencies, 0.99),
    target: 1 / 3,
  },
  {
    name: 'heartbeat p99 at half the offered rate',
    figure: pct(half.latencies, 0.99),
    unit: 'ms',
    floor: pct(halfFloor.latencies, 0.99),
    floorWhat: 'null endpoint p99, same load',
    ratio: pct(halfFloor.latencies, 0.99) / pct(half.latencies, 0.99),
    target: 1 / 3,
  },
]);

// 2. Completion to the gradebook.
const finishers = await Promise.all(
  Array.from({ length: FINISHERS }, (_, i) => sessionFor(`F${i}`, shortLesson)),
);
const arrived = new Map<string, number>();
const received = platform.scores.length;
const watch = setInterval(() => {
  for (const s of platform.scores.slice(received))
    if (s.body.activityProgress === 'Completed' && !arrived.has(String(s.body.userId)))
      arrived.set(String(s.body.userId), performance.now());
}, 5);
const answered = new Map<string, number>();
await Promise.all(
  finishers.map(async (session, i) => {
    await sleep((i * 1000) / FINISHERS); // 200 completions over a second
    // Started first, then (having watched for a while) the rest at once.
    await heartbeat({
      session,
      lessonId: shortLesson,
      seq: 1,
      position: 0.2,
      intervals: [[0, 0.2]],
      event: 'tick',
    });
    // A minute of playing to the learner's credit (the tool credits only a playing player's clock).
    await sql.query(`UPDATE watch_progress SET credit_sec = 120 WHERE user_id = $1`, [`F${i}`]);
    await heartbeat({
      session,
      lessonId: shortLesson,
      seq: 2,
      position: 10,
      intervals: [[0.2, 10]],
      event: 'ended',
    });
    answered.set(`F${i}`, performance.now());
  }),
);
for (const deadline = Date.now() + 60_000; arrived.size < FINISHERS && Date.now() < deadline;)
  await sleep(50);
clearInterval(watch);
const delays = [...answered].filter(([u]) => arrived.has(u)).map(([u, t]) => arrived.get(u)! - t);
delays.sort((a, b) => a - b);
console.log(`Completion → Completed score at the platform (${FINISHERS} learners finishing within 1 s)`);
console.log(
  `  p50 ${pct(delays, 0.5).toFixed(0)} ms, p95 ${pct(delays, 0.95).toFixed(0)} ms, max ${delays.at(-1)?.toFixed(0)} ms, ` +
    `${arrived.size} of ${FINISHERS} arrived`,
);

agent.destroy();
await child.stop();
await fixture.close();
