import { createReadStream } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { LtiSessions, type LtiRole } from '../../lti-tool/src/lti/lti-sessions.js';
import { MediaStore } from '../../lti-tool/src/media/media-store.js';
import { parseScript, sentencesIn } from '../../lti-tool/src/narration/script.js';
import type { CourseLesson } from '../fixtures/tutor-course.js';
import { PORTRAIT } from './paths.js';
import { addFinishedRender } from './seeded-course.js';

/** Seconds between the parts of a seeded lesson's voice (where each heading and paragraph starts). */
export const PART_SEC = 5;

export interface TutorCourse {
  readonly tenantId: string;
  readonly contextId: string;
  readonly lessonIds: readonly string[];
  /** A launch session in the course: a learner's (one per name asked for) or the instructor's. */
  session(userId: string, role?: LtiRole): Promise<string>;
}

/**
 * A tenant's course whose lessons are published script lessons (written straight into the database:
 * the tutor reads what a published version keeps, not how it was made), presented by the sample
 * portrait, which is in the media store so an answer's clip can be rendered.
 */
export async function seedTutorCourse(
  tool: RunningTool,
  mediaDir: string,
  lessons: readonly CourseLesson[],
  o: { tenantId?: string; contextId?: string } = {},
): Promise<TutorCourse> {
  const tenantId = o.tenantId ?? `tenant-${randomBytes(3).toString('hex')}`;
  const contextId = o.contextId ?? `course-${randomBytes(3).toString('hex')}`;
  const platformId = `p-${tenantId}`;
  await tool.tenants.ensureTenant(tenantId, tenantId);
  await tool.db.query(
    `INSERT INTO lti_platforms (id, issuer, client_id, name, registered_via, keyset_url)
     VALUES ($1, $2, 'c1', 'LMS', 'manual', 'https://lms.example/keys') ON CONFLICT DO NOTHING`,
    [platformId, `https://lms.example/${tenantId}`],
  );
  const portrait = await new MediaStore(mediaDir).ingest(createReadStream(PORTRAIT), {
    maxBytes: 50e6,
  });
  await tool.db.query(
    `INSERT INTO assets (tenant_id, sha256, kind, content_type, bytes)
     VALUES ($1, $2, 'portrait', 'image/jpeg', $3), ($1, $4, 'audio', 'audio/wav', 1) ON CONFLICT DO NOTHING`,
    [tenantId, portrait.sha256, portrait.bytes, 'b'.repeat(64)],
  );
  const lessonIds: string[] = [];
  for (const l of lessons) {
    const lessonId = randomUUID();
    const renderId = randomUUID();
    const parts = new Set(
      sentencesIn(parseScript(l.script, l.language, 1e6)).map((s) => `${s.chapter}/${s.paragraph}`),
    ).size;
    await tool.db.query('INSERT INTO lessons (id, tenant_id, context_id, title) VALUES ($1, $2, $3, $4)', [
      lessonId,
      tenantId,
      contextId,
      l.title,
    ]);
    await addFinishedRender(tool.db, {
      tenantId,
      lessonId,
      renderId,
      portrait: portrait.sha256,
      audio: 'b'.repeat(64),
      narration: {
        source: 'script',
        script: l.script,
        language: l.language,
        captions: 'c'.repeat(64),
        chapterList: [],
        durationSec: parts * PART_SEC,
        parts: Array.from({ length: parts }, (_, i) => i * PART_SEC),
      },
      durationSec: parts * PART_SEC,
    });
    await tool.db.query('UPDATE lessons SET published_render_id = $2 WHERE id = $1', [lessonId, renderId]);
    lessonIds.push(lessonId);
  }
  const sessions = new LtiSessions(tool.db);
  return {
    tenantId,
    contextId,
    lessonIds,
    session: (userId, role = 'learner') =>
      sessions.create({
        tenantId,
        platformId,
        deploymentId: 'd1',
        contextId,
        userId,
        role,
        messageType: 'LtiResourceLinkRequest',
        lessonId: lessonIds[0],
        launch: { issuer: `https://lms.example/${tenantId}`, clientId: 'c1' },
      }),
  };
}
