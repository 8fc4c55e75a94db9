/**
 * Answers to a lesson's questions against the heartbeat endpoint's floor (issue: questions inside
 * the lesson), measured as the progress benchmark measures heartbeats: the real tool in a process of
 * its own on the local PostgreSQL and Redis; 1,000 learners in this process, each on one keep-alive
 * connection, each sending an answer every `--every-ms` (5,000/s offered) for `--seconds`:
 *  1. answers taken per second, p50/p99 latency, CPU per answer by party;
 *  2. the same load against the NULL ENDPOINT (bench/null-heartbeat.ts: parse and answer, no
 *     database), the floor the heartbeat endpoint is held to, and the ratio;
 *  3. both again at half the rate, where latency is the work's rather than a queue's;
 *  4. the same load of heartbeats on the same tool, for comparison.
 *   npx tsx bench/answers.ts [--learners 1000] [--every-ms 200] [--seconds 15]
 * Every answer is a new attempt the tool must check, keep and grade (always wrong, so attempts go on);
 * the sessions carry no gradebook column, so delivering scores (the progress benchmark's subject) is
 * not counted. The per-learner limit on answers is raised for the run, so the endpoint is measured.
 */
import http from 'node:http';
import { availableParallelism } from 'node:os';
import { questionKey, QuestionSetSchema } from '../lti-tool/src/questions/question-set.js';
import { arg } from './bench-args.js';
import { recordFigures } from './bench-results.js';
import { cpuSince, cpuTimes } from './cpu-time.js';
import { freePort } from '../tests/helpers/farm.js';
import { learnerFixture, offerLoad, postJson, type OfferedRun } from './learner-fixture.js';
import { pct, startToolProcess } from './tool-process.js';

const LEARNERS = Number(arg('--learners', '1000'));
const EVERY_MS = Number(arg('--every-ms', '200'));
const SECONDS = Number(arg('--seconds', '15'));
const WARMUP_MS = 2_000;
const QUESTIONS = 20;
const ATTEMPTS = 10;

const fixture = await learnerFixture();
const { config, sql } = fixture;
const lessonId = await fixture.lesson('Fire safety', 600);
// Twenty true/false statements, ten answers allowed each: a learner's n-th answer is question n mod
// 20, attempt n div 20 + 1, always wrong, so every one is a new attempt the tool must check and keep.
const set = QuestionSetSchema.parse({
  questions: Array.from({ length: QUESTIONS }, (_, i) => ({
    kind: 'truefalse',
    at: 10 + i * 25,
    prompt: `Statement ${i + 1}: fire doors may be propped open.`,
    answer: false,
  })),
  attempts: { max: ATTEMPTS },
});
const keys = set.questions.map(questionKey);
await sql.query(`INSERT INTO lesson_questions (lesson_id, tenant_id, question_set) VALUES ($1, $2, $3)`, [
  lessonId,
  fixture.tenantId,
  JSON.stringify(set),
]);
const tokens = await Promise.all(
  Array.from({ length: LEARNERS }, (_, i) => fixture.sessionFor(`A${i}`, lessonId)),
);
const fresh = await Promise.all(
  Array.from({ length: LEARNERS }, (_, i) => fixture.sessionFor(`B${i}`, lessonId)),
);

process.env.VT_ANSWERS_PER_MINUTE = '1000000';
const child = await startToolProcess(config);
const agent = new http.Agent({ keepAlive: true, maxSockets: LEARNERS });
const to = { host: new URL(config.VT_PUBLIC_URL).hostname, port: new URL(config.VT_PUBLIC_URL).port };

const offer = (
  send: (learner: number, n: number) => Promise<number>,
  everyMs = EVERY_MS,
): Promise<OfferedRun> =>
  offerLoad({ learners: LEARNERS, everyMs, seconds: SECONDS, warmupMs: WARMUP_MS }, send);

const heartbeat = (i: number, n: number, port = to.port): Promise<number> =>
  postJson(agent, { ...to, port }, '/lti/progress', {
    session: tokens[i],
    lessonId,
    seq: n + 1,
    position: (n * 0.2) % 590,
    intervals: [[(n * 0.2) % 590, ((n * 0.2) % 590) + 0.2]],
    event: 'tick',
    playing: true,
  });
const answerOf = (n: number) => ({
  question: keys[n % QUESTIONS],
  attempt: Math.floor(n / QUESTIONS) + 1,
  answer: { value: true },
});
/**
 * A group of learners answering: each one's next answer is its next attempt. A later pass takes a
 * fresh group, so each pass measures learners a lesson's worth of answers in, not hundreds.
 */
const answering = (sessions: readonly string[]) => {
  const answered = new Array<number>(sessions.length).fill(0);
  return (i: number): Promise<number> => {
    const n = answered[i]!++;
    return n >= QUESTIONS * ATTEMPTS
      ? Promise.resolve(-1) // out of questions: a run longer than this benchmark's
      : postJson(agent, to, `/lti/lessons/${lessonId}/answers`, answerOf(n), {
          authorization: `Bearer ${sessions[i]}`,
        });
  };
};

// Every learner's progress row exists before either is measured (the first heartbeat makes it).
await Promise.all(
  [...tokens, ...fresh].map((session) =>
    postJson(agent, to, '/lti/progress', {
      session,
      lessonId,
      seq: 1,
      position: 0,
      intervals: [],
      event: 'play',
    }),
  ),
);
const cpu = (): ReturnType<typeof cpuTimes> =>
  cpuTimes({ tool: child.pid, learners: process.pid }, { PostgreSQL: 'postgres', Redis: 'redis-server' });
const line = (what: string, r: OfferedRun, used: Record<string, number>): void => {
  const failed = [...r.failures].map(([st, n]) => `${n} × ${st || 'no answer'}`).join(', ');
  console.log(
    `  ${what}: ${r.perSec.toFixed(0)}/s taken, p50 ${pct(r.latencies, 0.5).toFixed(1)} ms, p99 ${pct(r.latencies, 0.99).toFixed(1)} ms` +
      `${failed ? `, not taken: ${failed}` : ''}; CPU per request: ${Object.entries(used)
        .map(([who, sec]) => `${who} ${((sec * 1e6) / r.sent).toFixed(0)} µs`)
        .join(', ')}`,
  );
};
console.log(
  `Answers (${LEARNERS} learners, one every ${EVERY_MS} ms each = ${(LEARNERS * 1000) / EVERY_MS}/s offered, ${SECONDS} s; tool in its own process; ${availableParallelism()} CPUs)`,
);
let before = cpu();
const answers = await offer(answering(tokens));
line('answers', answers, cpuSince(before, cpu()));
const { rows } = await sql.query<{ n: string }>('SELECT count(*) AS n FROM question_answers');
console.log(`  answers stored: ${rows[0]!.n} (each taken once)`);

// The floor: the same learners and load against the null endpoint, in a process of its own.
const nullPort = await freePort();
const nullChild = await startToolProcess(
  { ...config, VT_PUBLIC_URL: `http://127.0.0.1:${nullPort}` },
  { args: ['bench/null-heartbeat.ts', String(nullPort)] },
);
const nullCpu = (): ReturnType<typeof cpuTimes> =>
  cpuTimes({ endpoint: nullChild.pid, learners: process.pid }, {});
before = nullCpu();
const toNull = (i: number, n: number): Promise<number> =>
  postJson(agent, { ...to, port: nullPort }, '/lti/progress', { ...answerOf(n), session: tokens[i] });
const floor = await offer(toNull);
line('the NULL ENDPOINT (the floor)', floor, cpuSince(before, nullCpu()));
// Half the offered rate, where the machine is not saturated: latency is then the work's, not a queue's.
const halfFloor = await offer(toNull, EVERY_MS * 2);
await nullChild.stop();
const half = await offer(answering(fresh), EVERY_MS * 2);
console.log(
  `  at half the rate (${(LEARNERS * 500) / EVERY_MS}/s): answers p99 ${pct(half.latencies, 0.99).toFixed(1)} ms ` +
    `(p50 ${pct(half.latencies, 0.5).toFixed(1)} ms, taken ${half.perSec.toFixed(0)}/s), the null endpoint p99 ` +
    `${pct(halfFloor.latencies, 0.99).toFixed(1)} ms`,
);
before = cpu();
const heartbeats = await offer((i, n) => heartbeat(i, n + 1));
line('heartbeats on the same tool, for comparison', heartbeats, cpuSince(before, cpu()));

await recordFigures('answers', [
  {
    name: 'answers taken',
    figure: answers.perSec,
    unit: '/s',
    floor: floor.perSec,
    floorWhat: 'null endpoint, same load',
    ratio: answers.perSec / floor.perSec,
    target: 0.6,
  },
  {
    name: 'answer p99',
    figure: pct(answers.latencies, 0.99),
    unit: 'ms',
    floor: pct(floor.latencies, 0.99),
    floorWhat: 'null endpoint p99',
    ratio: pct(floor.latencies, 0.99) / pct(answers.latencies, 0.99),
  },
  {
    name: 'answer p99 at half the offered rate',
    figure: pct(half.latencies, 0.99),
    unit: 'ms',
    floor: pct(halfFloor.latencies, 0.99),
    floorWhat: 'null endpoint p99, same load',
    ratio: pct(halfFloor.latencies, 0.99) / pct(half.latencies, 0.99),
  },
  {
    name: 'answers taken vs heartbeats taken',
    figure: answers.perSec,
    unit: '/s',
    floor: heartbeats.perSec,
    floorWhat: 'heartbeats, same tool and load',
    ratio: answers.perSec / heartbeats.perSec,
  },
]);

agent.destroy();
await child.stop();
await fixture.close();
