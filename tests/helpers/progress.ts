import { randomUUID } from 'node:crypto';
import type { Db } from '../../lti-tool/src/db/database.js';
import type { LtiSession } from '../../lti-tool/src/lti/lti-sessions.js';
import type { LessonGrading } from '../../lti-tool/src/progress/lesson-grading.js';

/** A lesson as the heartbeat ingest grades it: `durationSec` long, complete at 90 %. */
export const gradedLesson = (durationSec: number, title = 'Fire safety'): LessonGrading => ({
  lessonId: randomUUID(),
  title,
  durationSec,
  scoreMaximum: 100,
  completionThreshold: 0.9,
});

/** A learner's launch session on tenant t1, course 101 (with a gradebook column when `lineitem`). */
export const learnerSession = (lessonId: string, userId: string, lineitem?: string): LtiSession => ({
  tenantId: 't1',
  platformId: 'p1',
  deploymentId: 'd1',
  contextId: '101',
  userId,
  role: 'learner',
  messageType: 'LtiResourceLinkRequest',
  lessonId,
  launch: { issuer: 'https://lms.test', clientId: 'c1', ...(lineitem && { ags: { lineitem } }) },
});

/** Tenant t1 and the lesson's row, on a migrated database. */
export async function seedLesson(db: Db, lesson: LessonGrading): Promise<void> {
  await db.query(`INSERT INTO tenants (id, name) VALUES ('t1', 'Tenant') ON CONFLICT DO NOTHING`);
  await db.query(`INSERT INTO lessons (id, tenant_id, context_id, title) VALUES ($1, 't1', '101', $2)`, [
    lesson.lessonId,
    lesson.title,
  ]);
}

/** The player's heartbeat after the whole lesson played to its end, as the tool's endpoint takes it. */
export const watchedToTheEnd = (
  toolUrl: string,
  o: { session: string; lessonId: string; durationSec: number; seq?: number },
): Promise<Response> =>
  fetch(`${toolUrl}/lti/progress`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      session: o.session,
      lessonId: o.lessonId,
      seq: o.seq ?? 1,
      position: o.durationSec,
      intervals: [[0, o.durationSec]],
      event: 'ended',
    }),
  });
