/**
 * Ask the tutor (issue: a tutor that answers from the course material in the presenter's voice and
 * face), on this machine's PostgreSQL, Redis and ffmpeg, with the real tool in a process of its own:
 *  1. retrieval quality: hit@1, hit@3 and MRR over the question set written for the sample course
 *     (tests/fixtures/tutor-course.ts, English and Chinese), and how many off-topic questions are
 *     answered "not covered";
 *  2. retrieval latency with 1,000 lessons in one course's index (p50/p95), against the floor of
 *     PostgreSQL's GIN lookup of the same words alone;
 *  3. question → first answer frame: from posting the question to the first fragment of the clip's
 *     stream (the first frames a player can show), for one learner at a time and for 10 learners
 *     asking at once; the floor is the clip renderer alone (same engine, a spoken answer already
 *     made) producing its first fragment in this process.
 *   npx tsx bench/tutor.ts [--lessons 1000] [--learners 10]
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { answerClipRenderer } from '../render-node/src/engines/preview/answer-clip.js';
import { QuestionRepository } from '../lti-tool/src/questions/question-repository.js';
import { PassageIndex } from '../lti-tool/src/tutor/passage-index.js';
import { answersQuestion } from '../lti-tool/src/tutor/tutor-service.js';
import { OFF_TOPIC_QUESTIONS, TUTOR_LESSONS, TUTOR_QUESTIONS } from '../tests/fixtures/tutor-course.js';
import { createTestDatabase, startTestTool, toolConfig } from '../tests/helpers/farm.js';
import { seedTutorCourse } from '../tests/helpers/tutor-course.js';
import { PORTRAIT } from '../tests/helpers/paths.js';
import { arg } from './bench-args.js';
import { recordFigures, type BenchFigure } from './bench-results.js';
import { pct, startToolProcess } from './tool-process.js';

const LESSONS = Number(arg('--lessons', '1000'));
const LEARNERS = Number(arg('--learners', '10'));
const CLIPS_AT_ONCE = arg('--clips-at-once', '');
const run = promisify(execFile);
const figures: BenchFigure[] = [];

const db = await createTestDatabase();
const config = await toolConfig({
  VT_DATABASE_URL: db.url,
  VT_TUTOR_QUESTIONS_PER_MINUTE: '1000',
  VT_TUTOR_TENANT_QUESTIONS_PER_MINUTE: '100000',
  ...(CLIPS_AT_ONCE && { VT_TUTOR_CLIPS_AT_ONCE: CLIPS_AT_ONCE }),
});
const sql = new pg.Pool({ connectionString: db.url });
const seeding = await startTestTool(config);
const course = await seedTutorCourse(seeding, config.VT_MEDIA_DIR, TUTOR_LESSONS);
const index = new PassageIndex(sql, new QuestionRepository(sql));

// 1. Retrieval quality.
const scope = { tenantId: course.tenantId, contextId: course.contextId };
await index.refresh(scope);
let hit1 = 0;
let hit3 = 0;
let reciprocal = 0;
for (const q of TUTOR_QUESTIONS) {
  const found = await index.search(scope, q.question, 10);
  const rank = found.findIndex((p) => p.text.includes(q.answer));
  if (rank === 0) hit1++;
  if (rank >= 0 && rank < 3) hit3++;
  if (rank >= 0) reciprocal += 1 / (rank + 1);
}
let notCovered = 0;
for (const q of OFF_TOPIC_QUESTIONS) {
  const found = await index.search(scope, q, 3);
  if (!found.some(answersQuestion)) notCovered++;
}
const n = TUTOR_QUESTIONS.length;
console.log(
  `retrieval over ${n} questions: hit@1 ${(hit1 / n).toFixed(2)} · hit@3 ${(hit3 / n).toFixed(2)} · ` +
    `MRR ${(reciprocal / n).toFixed(2)} · off-topic answered "not covered" ${notCovered}/${OFF_TOPIC_QUESTIONS.length}`,
);
figures.push(
  { name: `hit@3 over ${n} questions (target ≥ 0.9)`, figure: hit3 / n, unit: '' },
  { name: 'hit@1', figure: hit1 / n, unit: '' },
  { name: 'off-topic answered "not covered"', figure: notCovered / OFF_TOPIC_QUESTIONS.length, unit: '' },
);

// 2. Retrieval at LESSONS lessons in one course: the sample lessons again and again, each with a
// paragraph of its own words, so the index is large and its words' counts vary.
const big = await seedTutorCourse(
  seeding,
  config.VT_MEDIA_DIR,
  Array.from({ length: LESSONS }, (_, i) => {
    const l = TUTOR_LESSONS[i % TUTOR_LESSONS.length]!;
    const own = Array.from({ length: 30 }, (_, k) => `term${(i * 31 + k * 7) % 5000}`).join(' ');
    return {
      ...l,
      title: `${l.title} ${i + 1}`,
      script: `${l.script}\n\n# Notes\n\nLesson ${i + 1} adds ${own}.`,
    };
  }),
  { tenantId: course.tenantId },
);
const bigScope = { tenantId: course.tenantId, contextId: big.contextId };
let started = performance.now();
await index.refresh(bigScope);
const indexSec = (performance.now() - started) / 1000;
const { rows: counted } = await sql.query<{ n: string }>(
  'SELECT count(*) AS n FROM tutor_passages WHERE context_id = $1',
  [big.contextId],
);
const searchMs: number[] = [];
const floorMs: number[] = [];
for (let round = 0; round < 3; round++)
  for (const q of TUTOR_QUESTIONS) {
    started = performance.now();
    await index.search(bigScope, q.question, 3);
    searchMs.push(performance.now() - started);
    // The floor: PostgreSQL's own ranking of the same words (ts_rank_cd), its best three.
    const lexemes = await index.lexemesOf(q.question);
    started = performance.now();
    await sql.query(
      `SELECT id, text FROM tutor_passages, to_tsquery('simple', $3) q
       WHERE tenant_id = $1 AND context_id = $2 AND terms @@ q ORDER BY ts_rank_cd(terms, q) DESC LIMIT 3`,
      [bigScope.tenantId, bigScope.contextId, lexemes.map((l) => `'${l.replace(/'/g, "''")}'`).join(' | ')],
    );
    floorMs.push(performance.now() - started + 0);
  }
searchMs.sort((a, b) => a - b);
floorMs.sort((a, b) => a - b);
console.log(
  `${LESSONS} lessons, ${counted[0]!.n} passages, indexed in ${indexSec.toFixed(1)} s: search p50 ${pct(searchMs, 0.5).toFixed(1)} ms, ` +
    `p95 ${pct(searchMs, 0.95).toFixed(1)} ms · ts_rank_cd alone p50 ${pct(floorMs, 0.5).toFixed(1)} ms`,
);
figures.push(
  {
    name: `retrieval p50 at ${LESSONS} lessons`,
    figure: pct(searchMs, 0.5),
    unit: 'ms',
    floor: pct(floorMs, 0.5),
    floorWhat: 'PostgreSQL’s ts_rank_cd of the same words, best three',
    ratio: pct(floorMs, 0.5) / pct(searchMs, 0.5),
  },
  { name: `retrieval p95 at ${LESSONS} lessons`, figure: pct(searchMs, 0.95), unit: 'ms' },
);
// Launch sessions for part 3, made while the seeding tool is open.
const warmUp = await course.session('warm-up');
const instructor = await course.session('teacher', 'instructor');
const long = await Promise.all(Array.from({ length: 3 }, (_, i) => course.session(`long-${i}`)));
const solo = await Promise.all(Array.from({ length: 5 }, (_, i) => course.session(`solo-${i}`)));
const tokens = await Promise.all(Array.from({ length: LEARNERS }, (_, i) => course.session(`crowd-${i}`)));
await seeding.close();

// 3. Question → first answer frame, against the real tool in its own process.
const tool = await startToolProcess(config);
// A failure below must not leave the tool process behind.
process.once(
  'uncaughtException',
  (e) =>
    void tool.stop().finally(() => {
      console.error(e);
      process.exit(1);
    }),
);
process.once(
  'unhandledRejection',
  (e) =>
    void tool.stop().finally(() => {
      console.error(e);
      process.exit(1);
    }),
);
const scratch = mkdtempSync(join(tmpdir(), 'vt-tutor-bench-'));

/** Asks, then reads the clip's stream: when its first fragment (moof) arrived, and the whole clip. */
async function askAndWatch(
  token: string,
  question: string,
): Promise<{ id: string; firstFrameSec: number; clipSec: number }> {
  const t0 = performance.now();
  const res = await fetch(`${config.VT_PUBLIC_URL}/lti/lessons/${course.lessonIds[0]}/tutor/questions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ question }),
  });
  const answer = (await res.json()) as { clipUrl: string | null; id: string };
  if (!answer.clipUrl) throw new Error(`no clip for "${question}"`);
  const clip = await fetch(answer.clipUrl);
  const reader = clip.body!.getReader();
  const chunks: Buffer[] = [];
  let firstFrameSec: number | undefined;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value));
    if (firstFrameSec === undefined && Buffer.concat(chunks).includes('moof'))
      firstFrameSec = (performance.now() - t0) / 1000;
  }
  const file = join(scratch, `${answer.id}.mp4`);
  writeFileSync(file, Buffer.concat(chunks));
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration',
    '-of',
    'csv=p=0',
    file,
  ]);
  return {
    id: answer.id,
    firstFrameSec: firstFrameSec ?? (performance.now() - t0) / 1000,
    clipSec: Number(stdout),
  };
}

// The floor: the clip renderer alone, on a spoken answer of the same length, to its first fragment.
const wav = join(scratch, 'answer.wav');
await run('espeak-ng', [
  '-w',
  wav,
  'Submit every expense claim within thirty days of the trip. Attach a photo of each receipt in the finance app; paper receipts do not need to be mailed. Your manager approves the claim in the finance app.',
]);
const renderer = answerClipRenderer({ maxAudioSeconds: 120, x264Crf: 23 });
const floorFirst: number[] = [];
for (let i = 0; i < 4; i++) {
  const dir = mkdtempSync(join(scratch, 'floor-'));
  const t0 = performance.now();
  let first: number | undefined;
  const watch = setInterval(() => {
    const f = join(dir, renderer.streamedName);
    if (first === undefined && existsSync(f) && statSync(f).size > 0 && readFileSync(f).includes('moof'))
      first = (performance.now() - t0) / 1000;
  }, 5);
  await renderer.render({ portraitPath: PORTRAIT, audioPath: wav, workDir: dir });
  clearInterval(watch);
  if (i > 0) floorFirst.push(first ?? (performance.now() - t0) / 1000); // the first warms the engine
}
floorFirst.sort((a, b) => a - b);
const floor = pct(floorFirst, 0.5);

const single: { firstFrameSec: number; clipSec: number }[] = [];
const warmed = await askAndWatch(warmUp, 'What is a buddy?');
// A fifteen-second answer: the instructor pins one to the question, and three learners ask it.
await fetch(`${config.VT_PUBLIC_URL}/lti/dashboard`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    session: instructor,
    lesson: course.lessonIds[0]!,
    tutor_pin_question: warmed.id,
    tutor_pin_answer:
      'Your buddy is a colleague from your own team. In your first month they show you around the ' +
      'building, introduce you to the people you will work with, and answer the everyday questions ' +
      'you may not want to ask your manager, such as where to find things or how meetings work here.',
  }),
});
const longer: { firstFrameSec: number; clipSec: number }[] = [];
for (const token of long) longer.push(await askAndWatch(token, 'Who is my buddy?'));
const longFirst = longer.map((s) => s.firstFrameSec).sort((a, b) => a - b);
const longClip = longer.reduce((s, x) => s + x.clipSec, 0) / longer.length;
console.log(
  `a ${longClip.toFixed(1)} s answer (pinned): first answer frame p50 ${pct(longFirst, 0.5).toFixed(2)} s`,
);
for (const [i, token] of solo.entries())
  single.push(await askAndWatch(token, TUTOR_QUESTIONS[i * 5]!.question));
const soloFirst = single.map((s) => s.firstFrameSec).sort((a, b) => a - b);
const soloClip = single.reduce((s, x) => s + x.clipSec, 0) / single.length;
console.log(
  `one learner: first answer frame p50 ${pct(soloFirst, 0.5).toFixed(2)} s (answers ${soloClip.toFixed(1)} s long on average) · ` +
    `clip renderer alone ${floor.toFixed(2)} s`,
);
const crowd = await Promise.all(
  tokens.map((t, i) => askAndWatch(t, TUTOR_QUESTIONS[(i * 3) % TUTOR_QUESTIONS.length]!.question)),
);
const crowdFirst = crowd.map((c) => c.firstFrameSec).sort((a, b) => a - b);
console.log(
  `${LEARNERS} learners at once: first answer frame p50 ${pct(crowdFirst, 0.5).toFixed(2)} s, p95 ${pct(crowdFirst, 0.95).toFixed(2)} s`,
);
figures.push(
  {
    name: 'question → first answer frame, one learner (p50; target ≤ 3 s)',
    figure: pct(soloFirst, 0.5),
    unit: 's',
    floor,
    floorWhat: 'the clip renderer alone to its first fragment',
    ratio: floor / pct(soloFirst, 0.5),
  },
  { name: 'answer clip length, average', figure: soloClip, unit: 's' },
  {
    name: `question → first answer frame, a ${longClip.toFixed(0)} s answer (p50; target ≤ 3 s)`,
    figure: pct(longFirst, 0.5),
    unit: 's',
  },
  {
    name: `question → first answer frame, ${LEARNERS} learners at once (p50)`,
    figure: pct(crowdFirst, 0.5),
    unit: 's',
  },
  {
    name: `question → first answer frame, ${LEARNERS} learners at once (p95)`,
    figure: pct(crowdFirst, 0.95),
    unit: 's',
  },
);
await tool.stop();
await sql.end();
await db.drop();
await recordFigures('tutor', figures);
