import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import pg from 'pg';
import { toolSecret } from '../../lti-tool/src/db/tool-secrets.js';
import type { ToolConfig } from '../../lti-tool/src/config.js';
import { MediaStore } from '../../lti-tool/src/media/media-store.js';
import { MediaUrls } from '../../lti-tool/src/media/media-urls.js';
import { UrlSigner } from '../../lti-tool/src/media/url-signer.js';

/**
 * A finished render with `file` as its lesson.mp4, written straight into a tool's database and media
 * store (no render node), and the signed player URL a browser would be given for it. For tests and
 * benchmarks of media serving: making the lesson is other tests' subject.
 */
export async function seedFinishedRender(
  config: ToolConfig,
  file: string,
): Promise<{ renderId: string; sha256: string; lessonUrl: string }> {
  const sql = new pg.Pool({ connectionString: config.VT_DATABASE_URL });
  try {
    const store = await new MediaStore(config.VT_MEDIA_DIR).init();
    const stored = await store.ingest(createReadStream(file), { maxBytes: 2 ** 40 });
    const [tenantId, lessonId, versionId, renderId] = [
      `t-${randomUUID()}`,
      randomUUID(),
      randomUUID(),
      randomUUID(),
    ];
    const [portrait, audio] = ['a'.repeat(64), 'b'.repeat(64)];
    await sql.query('INSERT INTO tenants (id, name) VALUES ($1, $1)', [tenantId]);
    await sql.query(
      `INSERT INTO lessons (id, tenant_id, context_id, title) VALUES ($1, $2, '101', 'Media')`,
      [lessonId, tenantId],
    );
    await sql.query(
      `INSERT INTO assets (tenant_id, sha256, kind, content_type, bytes)
       VALUES ($1, $2, 'portrait', 'image/png', 1), ($1, $3, 'audio', 'audio/wav', 1)`,
      [tenantId, portrait, audio],
    );
    await sql.query(
      `INSERT INTO lesson_versions (id, lesson_id, tenant_id, portrait_sha256, audio_sha256, engine, settings)
       VALUES ($1, $2, $3, $4, $5, 'preview', '{}')`,
      [versionId, lessonId, tenantId, portrait, audio],
    );
    const lesson = { name: 'lesson.mp4', sha256: stored.sha256, bytes: stored.bytes };
    await sql.query(
      `INSERT INTO renders (id, tenant_id, lesson_id, version_id, engine, state, result)
       VALUES ($1, $2, $3, $4, 'preview', 'done', $5)`,
      [renderId, tenantId, lessonId, versionId, { durationSec: 60, files: [lesson] }],
    );
    await sql.query(
      `INSERT INTO render_files (render_id, name, sha256, bytes, content_type) VALUES ($1, 'lesson.mp4', $2, $3, 'video/mp4')`,
      [renderId, stored.sha256, stored.bytes],
    );
    // The tool makes its media key on first start; this reads it (or makes it, the same way).
    const urls = new MediaUrls(new UrlSigner(await toolSecret(sql, 'media-url-key')), config.VT_PUBLIC_URL, {
      nodeSec: 3600,
      playerSec: 3600,
    });
    return { renderId, sha256: stored.sha256, lessonUrl: `${urls.playerBase(renderId)}lesson.mp4` };
  } finally {
    await sql.end();
  }
}
