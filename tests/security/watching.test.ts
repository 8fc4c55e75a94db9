import { migrate, openDatabase, type Db } from '../../lti-tool/src/db/database.js';
import type { Heartbeat } from '../../lti-tool/src/progress/heartbeat.js';
import { GradeOutbox } from '../../lti-tool/src/grades/grade-outbox.js';
import { ProgressIngest } from '../../lti-tool/src/progress/progress-ingest.js';
import { WatchStore } from '../../lti-tool/src/progress/watch-store.js';
import { createTestDatabase } from '../helpers/farm.js';
import { gradedLesson, learnerSession, seedLesson } from '../helpers/progress.js';

/**
 * Attack: completing a lesson without playing it. Before, watch time was credited at twice the time
 * since the learner first opened the lesson, idle or not: open it, wait, then claim the whole lesson
 * in one heartbeat. Now only time between two heartbeats of one launch, the first sent while playing,
 * earns credit (and at most 15 s of such a gap). The clock is moved by editing the recorded times, as
 * an hour passing would.
 */
let test: { url: string; drop(): Promise<void> };
let db: Db;
let ingest: ProgressIngest;
const LESSON_SEC = 600;
const lesson = gradedLesson(LESSON_SEC, 'Data protection');

beforeAll(async () => {
  test = await createTestDatabase();
  db = openDatabase(test.url);
  await migrate(db);
  await seedLesson(db, lesson);
  ingest = new ProgressIngest(db, new WatchStore(), new GradeOutbox(db), {
    flushMs: 0,
    maxBatch: 50,
    maxInFlight: 1,
    onScored: () => {},
  });
});

afterAll(async () => {
  await db.end();
  await test.drop();
});

const send = (userId: string, launchSha: string, hb: Omit<Heartbeat, 'session' | 'lessonId'>) =>
  ingest.submit({
    sessionSha: launchSha,
    session: learnerSession(lesson.lessonId, userId),
    lesson,
    heartbeat: { session: 'x', lessonId: lesson.lessonId, ...hb },
  });

/** `sec` seconds pass for the learner (their start and last heartbeat move back). */
const pass = (userId: string, sec: number) =>
  db.query(
    `UPDATE watch_progress SET started_at = started_at - make_interval(secs => $2),
       last_heartbeat_at = last_heartbeat_at - make_interval(secs => $2) WHERE user_id = $1`,
    [userId, sec],
  );

describe('watch time is credited only while playing', () => {
  it('opened, paused, an hour idle, then the whole lesson claimed: nearly nothing is credited', async () => {
    await send('idle', 'launch-1', { seq: 1, position: 1, intervals: [[0, 1]], event: 'tick' });
    await send('idle', 'launch-1', { seq: 2, position: 1, intervals: [], event: 'pause' });
    await pass('idle', 3600);
    const claim = await send('idle', 'launch-1', {
      seq: 3,
      position: LESSON_SEC,
      intervals: [[1, LESSON_SEC]],
      event: 'ended',
    });
    // One second played, plus what is left of the 10 s allowed before a player's first report (and
    // twice the milliseconds this test took between its tick and its pause).
    expect(claim.coverage * LESSON_SEC).toBeLessThanOrEqual(10.5);
    expect(claim.completed).toBe(false);
  });

  it('a player left "playing" without reports for an hour earns at most 15 s of that gap', async () => {
    await send('away', 'launch-2', { seq: 1, position: 0, intervals: [], event: 'play' });
    await pass('away', 3600);
    const claim = await send('away', 'launch-2', {
      seq: 2,
      position: LESSON_SEC,
      intervals: [[0, LESSON_SEC]],
      event: 'tick',
    });
    expect(claim.coverage * LESSON_SEC).toBeLessThanOrEqual(10 + 2 * 15 + 0.5);
  });

  it('another launch does not inherit the clock of the one before', async () => {
    await send('two', 'launch-a', { seq: 1, position: 0, intervals: [], event: 'play' });
    await pass('two', 10);
    // A new launch (another tab) reports first: the gap belonged to launch-a.
    const other = await send('two', 'launch-b', {
      seq: 1,
      position: LESSON_SEC,
      intervals: [[0, LESSON_SEC]],
      event: 'tick',
    });
    expect(other.coverage * LESSON_SEC).toBeLessThanOrEqual(10.5);
  });

  it('a learner who really plays is credited every second, and completes', async () => {
    await send('real', 'launch-3', { seq: 1, position: 0, intervals: [], event: 'play' });
    let standing = { coverage: 0, completed: false };
    for (let t = 0, seq = 2; t < LESSON_SEC; t += 5, seq++) {
      await pass('real', 5);
      standing = await send('real', 'launch-3', {
        seq,
        position: t + 5,
        intervals: [[t, t + 5]],
        event: 'tick',
        playing: true,
      });
    }
    expect(standing.coverage).toBeCloseTo(1, 5);
    expect(standing.completed).toBe(true);
  });
});
