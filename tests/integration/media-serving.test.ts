import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';
import { seedFinishedRender } from '../helpers/finished-render.js';
import { scratchDir } from '../helpers/speech.js';

/** A finished lesson served to players: by the tool itself, or handed to nginx (X-Accel-Redirect). */
describe('media serving', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const tools: RunningTool[] = [];
  const bytes = randomBytes(3 * 1024 * 1024 + 17);
  const file = join(scratchDir(), 'lesson.mp4');
  beforeAll(async () => {
    db = await createTestDatabase();
    writeFileSync(file, bytes);
  });
  afterAll(async () => {
    await Promise.all(tools.map((t) => t.close()));
    await db?.drop();
  });

  it('answers Range requests byte-exact, large ranges included, from the tool itself', async () => {
    const config = await toolConfig({ VT_DATABASE_URL: db.url });
    tools.push(await startTestTool(config));
    const { lessonUrl } = await seedFinishedRender(config, file);
    for (const [start, end] of [
      [0, 99],
      [1024 * 1024 - 5, 3 * 1024 * 1024 - 1], // two MiB across the read size
      [bytes.length - 10, bytes.length - 1],
    ] as const) {
      const r = await fetch(lessonUrl, { headers: { range: `bytes=${start}-${end}` } });
      expect(r.status).toBe(206);
      expect(r.headers.get('content-range')).toBe(`bytes ${start}-${end}/${bytes.length}`);
      expect(Buffer.from(await r.arrayBuffer()).equals(bytes.subarray(start, end + 1))).toBe(true);
    }
    // A forged signature is still refused, cached render or not.
    const parts = lessonUrl.split('/');
    const sig = parts.at(-2)!;
    parts[parts.length - 2] = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    expect((await fetch(parts.join('/'))).status).toBe(403);
  });

  it('behind nginx: checks the request, then hands the file to nginx by X-Accel-Redirect', async () => {
    const config = await toolConfig({ VT_DATABASE_URL: db.url, VT_MEDIA_ACCEL_PREFIX: '/_media/' });
    tools.push(await startTestTool(config));
    const { lessonUrl, sha256 } = await seedFinishedRender(config, file);
    const r = await fetch(lessonUrl, { headers: { range: 'bytes=0-99' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-accel-redirect')).toBe(
      `/_media/objects/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`,
    );
    expect(r.headers.get('content-type')).toBe('video/mp4');
    expect(r.headers.get('cache-control')).toBe('private, max-age=3600');
    expect((await r.arrayBuffer()).byteLength).toBe(0);
    const other = lessonUrl.replace('/lesson.mp4', '/chunks/0123456789abcdef/chunk_00000.mp4');
    const refused = await fetch(other);
    expect(refused.status).toBe(404);
    expect(refused.headers.get('x-accel-redirect')).toBeNull();
  });
});
