/**
 * Answers to a lesson's questions against the heartbeat endpoint, the floor (issue: questions inside
 * the lesson). The real tool in a process of its own on the local PostgreSQL and Redis; 1,000
 * learners in this process, each on one keep-alive connection, each sending its next request as soon
 * as the last one is answered (a closed loop: what the endpoint can take, not what is offered):
 *  1. heartbeats for `--seconds`: taken per second and p50/p99 latency, the floor;
 *  2. answers for `--seconds` on the same tool and learners: the same figures, and the ratio.
 *   npx tsx bench/answers.ts [--learners 1000] [--seconds 10]
 * An answer is its own transaction (the learner's row locked, the answer stored, the points and
 * grade updated), where heartbeats share one transaction per few milliseconds; the sessions carry no
 * gradebook column, so neither path's cost includes delivering scores (the progress benchmark's).
 * The per-learner limit on answers is raised for the run, so the endpoint is measured, not the limit.
 */
import http from 'node:http';
import { availableParallelism } from 'node:os';
import { questionKey, QuestionSetSchema } from '../lti-tool/src/questions/question-set.js';
import { arg } from './bench-args.js';
import { recordFigures } from './bench-results.js';
import { cpuSince, cpuTimes } from './cpu-time.js';
import { learnerFixture, postJson } from './learner-fixture.js';
import { pct, startToolProcess } from './tool-process.js';

const LEARNERS = Number(arg('--learners', '1000'));
const SECONDS = Number(arg('--seconds', '10'));
const WARMUP_MS = 1_000;
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

process.env.VT_ANSWERS_PER_MINUTE = '1000000';
const child = await startToolProcess(config);
const agent = new http.Agent({ keepAlive: true, maxSockets: LEARNERS });
const to = { host: new URL(config.VT_PUBLIC_URL).hostname, port: new URL(config.VT_PUBLIC_URL).port };

interface LoopRun {
  readonly perSec: number;
  readonly latencies: number[];
  readonly failures: Map<number, number>;
  readonly sent: number;
}

/** Every learner sends `request(i, n)` (its n-th) as soon as the last is answered, for SECONDS. */
async function closedLoop(
  request: (learner: number, n: number) => Promise<number>,
  from = 0,
): Promise<LoopRun> {
  const latencies: number[] = [];
  const failures = new Map<number, number>();
  let sent = 0;
  let counted = 0;
  const started = performance.now();
  const [warm, end] = [started + WARMUP_MS, started + WARMUP_MS + SECONDS * 1000];
  await Promise.all(
    tokens.map(async (_, i) => {
      for (let n = from; performance.now() < end; n++) {
        const t0 = performance.now();
        const status = await request(i, n);
        sent++;
        if (t0 >= warm && performance.now() <= end) {
          counted++;
          latencies.push(performance.now() - t0);
        }
        if (status !== 200) failures.set(status, (failures.get(status) ?? 0) + 1);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { perSec: counted / SECONDS, latencies, failures, sent };
}

const heartbeat = (i: number, n: number): Promise<number> =>
  postJson(agent, to, '/lti/progress', {
    session: tokens[i],
    lessonId,
    seq: n + 1,
    position: (n * 0.2) % 590,
    intervals: [[(n * 0.2) % 590, ((n * 0.2) % 590) + 0.2]],
    event: 'tick',
    playing: true,
  });
const answer = (i: number, n: number): Promise<number> =>
  n >= QUESTIONS * ATTEMPTS
    ? Promise.resolve(-1) // out of questions: never reached at these rates
    : postJson(
        agent,
        to,
        `/lti/lessons/${lessonId}/answers`,
        { question: keys[n % QUESTIONS], attempt: Math.floor(n / QUESTIONS) + 1, answer: { value: true } },
        { authorization: `Bearer ${tokens[i]}` },
      );

// Every learner's progress row exists before either is measured (the first heartbeat makes it).
await Promise.all(tokens.map((_, i) => heartbeat(i, 0)));
const cpu = (): ReturnType<typeof cpuTimes> =>
  cpuTimes({ tool: child.pid, learners: process.pid }, { PostgreSQL: 'postgres', Redis: 'redis-server' });
const line = (what: string, r: LoopRun, used: Record<string, number>): void => {
  const failed = [...r.failures].map(([st, n]) => `${n} × ${st || 'no answer'}`).join(', ');
  console.log(
    `  ${what}: ${r.perSec.toFixed(0)}/s, p50 ${pct(r.latencies, 0.5).toFixed(1)} ms, p99 ${pct(r.latencies, 0.99).toFixed(1)} ms` +
      `${failed ? `, not taken: ${failed}` : ''}; CPU per request: ${Object.entries(used)
        .map(([who, sec]) => `${who} ${((sec * 1e6) / r.sent).toFixed(0)} µs`)
        .join(', ')}`,
  );
};
console.log(
  `Answers and heartbeats (${LEARNERS} learners, each sending as soon as answered, ${SECONDS} s after ${WARMUP_MS / 1000} s; tool in its own process; ${availableParallelism()} CPUs)`,
);
let before = cpu();
const floor = await closedLoop(heartbeat, 1);
line('heartbeats (the floor)', floor, cpuSince(before, cpu()));
before = cpu();
const answers = await closedLoop(answer);
line('answers', answers, cpuSince(before, cpu()));
const { rows } = await sql.query<{ n: string }>('SELECT count(*) AS n FROM question_answers');
console.log(`  answers stored: ${rows[0]!.n} (every one taken is kept once)`);

await recordFigures('answers', [
  {
    name: 'answers taken',
    figure: answers.perSec,
    unit: '/s',
    floor: floor.perSec,
    floorWhat: 'heartbeats, same learners and tool',
    ratio: answers.perSec / floor.perSec,
    target: 0.6,
  },
  {
    name: 'answer p99',
    figure: pct(answers.latencies, 0.99),
    unit: 'ms',
    floor: pct(floor.latencies, 0.99),
    floorWhat: 'heartbeat p99',
    ratio: pct(floor.latencies, 0.99) / pct(answers.latencies, 0.99),
  },
]);

agent.destroy();
await child.stop();
await fixture.close();
