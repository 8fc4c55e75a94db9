import { randomUUID } from 'node:crypto';
import { migrate, openDatabase, type Db } from '../../lti-tool/src/db/database.js';
import type { Heartbeat } from '../../lti-tool/src/progress/heartbeat.js';
import { LessonGradingCache } from '../../lti-tool/src/progress/lesson-grading.js';
import { GradeOutbox } from '../../lti-tool/src/grades/grade-outbox.js';
import { ProgressIngest } from '../../lti-tool/src/progress/progress-ingest.js';
import { WatchStore } from '../../lti-tool/src/progress/watch-store.js';
import type { GradeKey } from '../../lti-tool/src/grades/grade-key.js';
import { createTestDatabase } from '../helpers/farm.js';
import { gradedLesson, learnerSession, seedLesson } from '../helpers/progress.js';

/**
 * The heartbeat ingest on real PostgreSQL with several transactions under way at once, as the tool
 * runs it: batches that share learners, with every heartbeat sent twice, must neither lose a merge,
 * deadlock, nor count anything twice.
 */
let test: { url: string; drop(): Promise<void> };
let db: Db;
const LEARNERS = 12;
const SECONDS = 60;
const BATCH = 7;
const lesson = gradedLesson(SECONDS);
const session = (userId: string) => learnerSession(lesson.lessonId, userId, 'https://lms.test/li/1');

beforeAll(async () => {
  test = await createTestDatabase();
  db = openDatabase(test.url);
  await migrate(db);
  await seedLesson(db, lesson);
  // The learners have an hour of playing to their credit, so the whole lesson may count as watched.
  for (let i = 0; i < LEARNERS; i++)
    await db.query(
      `INSERT INTO watch_progress (lesson_id, user_id, tenant_id, context_id, platform_id, intervals,
         duration_sec, coverage, credit_sec)
       VALUES ($1, $2, 't1', '101', 'p1', '[]', $3, 0, 3600)`,
      [lesson.lessonId, `u${i}`, SECONDS],
    );
});

afterAll(async () => {
  await db.end();
  await test.drop();
});

it('takes concurrent, overlapping, duplicated batches without deadlock or double counting', async () => {
  const scored: GradeKey[] = [];
  const ingest = new ProgressIngest(db, new WatchStore(), new GradeOutbox(db), {
    flushMs: 0,
    maxBatch: BATCH,
    maxInFlight: 4,
    onScored: (keys) => scored.push(...keys),
  });
  // Every learner's second-by-second heartbeats in a shuffled (but fixed) order, sent in groups of a
  // batch's size, each group followed by its copy reversed: four batches at a time that share
  // learners and heartbeats. Without the row locks, one batch's merge overwrites another's.
  const distinct: { userId: string; hb: Heartbeat }[] = [];
  for (let i = 0; i < LEARNERS; i++)
    for (let s = 0; s < SECONDS; s++)
      distinct.push({
        userId: `u${i}`,
        hb: {
          session: `session-${i}`,
          lessonId: lesson.lessonId,
          seq: s + 1,
          position: s + 1,
          intervals: [[s, s + 1]],
          event: 'tick',
        },
      });
  let seed = 42;
  const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = distinct.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [distinct[i], distinct[j]] = [distinct[j]!, distinct[i]!];
  }
  const beats = [];
  for (let i = 0; i < distinct.length; i += BATCH) {
    const group = distinct.slice(i, i + BATCH);
    beats.push(...group, ...group.reverse());
  }

  const standings = await Promise.all(
    beats.map(({ userId, hb }) =>
      ingest.submit({ sessionSha: `sha-${hb.session}`, session: session(userId), lesson, heartbeat: hb }),
    ),
  );
  expect(standings).toHaveLength(beats.length);

  const { rows } = await db.query<{ user_id: string; coverage: number; intervals: unknown; done: boolean }>(
    `SELECT user_id, coverage, intervals, completed_at IS NOT NULL AS done FROM watch_progress ORDER BY user_id`,
  );
  expect(rows).toHaveLength(LEARNERS);
  for (const r of rows) expect(r).toMatchObject({ coverage: 1, intervals: [[0, SECONDS]], done: true });
  const seen = await db.query<{ n: string }>('SELECT count(*) AS n FROM watch_heartbeats');
  expect(Number(seen.rows[0]!.n)).toBe(LEARNERS * SECONDS);
  // One outbox row per learner, ending on Completed with the full score.
  const outbox = await db.query<{ score: { scoreGiven: number; activityProgress: string } }>(
    'SELECT score FROM grade_outbox',
  );
  expect(outbox.rows).toHaveLength(LEARNERS);
  for (const r of outbox.rows)
    expect(r.score).toMatchObject({ scoreGiven: 100, activityProgress: 'Completed' });
  expect(new Set(scored.map((k) => k.userId)).size).toBe(LEARNERS);
});

it('looks a lesson up once however many heartbeats miss together, and refreshes it behind their backs', async () => {
  let queries = 0;
  const counted = { query: (...a: Parameters<Db['query']>) => (queries++, db.query(...a)) } as unknown as Db;
  let clock = 0;
  const cache = new LessonGradingCache(counted, 100, () => clock);
  const all = await Promise.all(Array.from({ length: 50 }, () => cache.get('t1', lesson.lessonId)));
  expect(queries).toBe(1);
  expect(new Set(all.map((g) => g?.title))).toEqual(new Set(['Fire safety']));

  await db.query(`UPDATE lessons SET title = 'Fire safety 2' WHERE id = $1`, [lesson.lessonId]);
  clock += 150; // expired
  const during = await Promise.all(Array.from({ length: 50 }, () => cache.get('t1', lesson.lessonId)));
  expect(queries).toBe(2);
  expect(new Set(during.map((g) => g?.title))).toEqual(new Set(['Fire safety'])); // the last value, at once
  // The refresh lands when PostgreSQL answers, however long that takes; then it is the value.
  const deadline = Date.now() + 30_000;
  while ((await cache.get('t1', lesson.lessonId))?.title !== 'Fire safety 2' && Date.now() < deadline)
    await new Promise((r) => setImmediate(r));
  expect((await cache.get('t1', lesson.lessonId))?.title).toBe('Fire safety 2');
  expect(queries).toBe(2);
  expect(await cache.get('t1', randomUUID())).toBeUndefined();
});
