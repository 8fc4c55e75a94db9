import { randomBytes, randomUUID } from 'node:crypto';
import type { RunningTool } from '../../lti-tool/src/server.js';
import type { Queryable } from '../../lti-tool/src/db/database.js';
import { LtiSessions } from '../../lti-tool/src/lti/lti-sessions.js';

/** A tenant of a running tool, as its API key and a course instructor's launch session see it. */
export interface SeededCourse {
  readonly tenantId: string;
  readonly apiKey: string;
  /** An instructor's launch session in course 101. */
  readonly instructor: string;
  /** A lesson of course 101 with finished renders: spoken in English, in Chinese, and one silent. */
  readonly lessonId: string;
  readonly renders: { readonly en: string; readonly zh: string; readonly plain: string };
}

/**
 * A finished preview render of a lesson, with its version (a script's narration, or none), written
 * straight into the database as the render repository would keep it.
 */
export async function addFinishedRender(
  db: Queryable,
  r: {
    tenantId: string;
    lessonId: string;
    renderId: string;
    portrait: string;
    audio: string;
    narration?: object | null;
    durationSec: number;
  },
): Promise<void> {
  const versionId = randomUUID();
  await db.query(
    `INSERT INTO lesson_versions (id, lesson_id, tenant_id, portrait_sha256, audio_sha256, engine, settings, narration)
     VALUES ($1, $2, $3, $4, $5, 'preview', $6, $7)`,
    [
      versionId,
      r.lessonId,
      r.tenantId,
      r.portrait,
      r.audio,
      { prompt: '', size: '688*368', fps: 25, sampleSteps: 4, chunkSec: 60 },
      r.narration ?? null,
    ],
  );
  await db.query(
    `INSERT INTO renders (id, tenant_id, lesson_id, version_id, engine, state, result, finished_at)
     VALUES ($1, $2, $3, $4, 'preview', 'done', $5, now())`,
    [r.renderId, r.tenantId, r.lessonId, versionId, { durationSec: r.durationSec, files: [] }],
  );
}

/**
 * A tenant with a lesson whose renders are finished, written straight into the tool's database (no
 * render node, no LMS): for tests of what the API does with lessons, not of how they are made.
 */
export async function seedCourse(tool: RunningTool): Promise<SeededCourse> {
  const tenantId = `tenant-${randomBytes(3).toString('hex')}`;
  const platformId = `p-${tenantId}`;
  await tool.tenants.ensureTenant(tenantId, tenantId);
  const apiKey = (await tool.tenants.createApiKey(tenantId, 'tests')).secret;
  await tool.db.query(
    `INSERT INTO lti_platforms (id, issuer, client_id, name, registered_via, keyset_url)
     VALUES ($1, $2, 'c1', 'LMS', 'manual', 'https://lms.example/keys')`,
    [platformId, `https://lms.example/${tenantId}`],
  );
  const instructor = await new LtiSessions(tool.db).create({
    tenantId,
    platformId,
    deploymentId: 'd1',
    contextId: '101',
    userId: 'teacher',
    role: 'instructor',
    messageType: 'LtiResourceLinkRequest',
    launch: { issuer: `https://lms.example/${tenantId}`, clientId: 'c1' },
  });
  const lessonId = randomUUID();
  await tool.db.query(
    `INSERT INTO lessons (id, tenant_id, context_id, title) VALUES ($1, $2, '101', 'Safety')`,
    [lessonId, tenantId],
  );
  const [portrait, audio] = ['a'.repeat(64), 'b'.repeat(64)];
  await tool.db.query(
    `INSERT INTO assets (tenant_id, sha256, kind, content_type, bytes)
     VALUES ($1, $2, 'portrait', 'image/png', 1), ($1, $3, 'audio', 'audio/wav', 1)`,
    [tenantId, portrait, audio],
  );
  const renders = { en: randomUUID(), zh: randomUUID(), plain: randomUUID() };
  for (const [renderId, language] of [
    [renders.en, 'en'],
    [renders.zh, 'zh'],
    [renders.plain, undefined],
  ] as const) {
    const narration = language && {
      source: 'script',
      script: 'Hello.',
      language,
      voice: 'v',
      captions: 'c'.repeat(64),
      chapterList: [],
      durationSec: 1,
    };
    await addFinishedRender(tool.db, {
      tenantId,
      lessonId,
      renderId,
      portrait,
      audio,
      narration,
      durationSec: 1,
    });
  }
  return { tenantId, apiKey, instructor, lessonId, renders };
}
