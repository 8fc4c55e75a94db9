import pg from 'pg';
import type { Db } from '../../lti-tool/src/db/database.js';
import type { ApiClient } from '../helpers/farm.js';
import { PORTRAIT } from '../helpers/paths.js';
import { makeSpeech } from '../helpers/speech.js';
import { startToolProcessStack, type ToolProcess, type ToolProcessStack } from '../helpers/tool-process.js';

/**
 * Attacks on the process itself, against the real `vt-tool start` in a process of its own: before,
 * one upload with two file parts killed it (an unhandled error after its 400), and so did a
 * PostgreSQL outage while anyone watched a render's progress (an unhandled rejection in the stream).
 */
let stack: ToolProcessStack;
let tool: ToolProcess;
let pool: Db;
let api: ApiClient;
const dbName = (): string => new URL(stack.dbUrl).pathname.slice(1);
const adminUrl = (): string => stack.dbUrl.replace(/\/[^/]*$/, '/postgres');

beforeAll(async () => {
  stack = await startToolProcessStack();
  ({ tool, pool, api } = stack);
});

afterAll(() => stack?.stop());

/** The tool's database refuses every connection, its open ones cut: an outage, for this database only. */
async function databaseDown(): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`ALTER DATABASE ${dbName()} ALLOW_CONNECTIONS false`);
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [dbName()]);
  await admin.end();
}

async function databaseUp(): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`ALTER DATABASE ${dbName()} ALLOW_CONNECTIONS true`);
  await admin.end();
}

describe('no request ends the process', () => {
  it('an upload with two file parts is a 400, and the tool goes on', async () => {
    const form = new FormData();
    form.set('kind', 'portrait');
    form.append('file', new Blob([Buffer.alloc(2000, 1)]), 'a.png');
    form.append('file', new Blob([Buffer.alloc(2000, 2)]), 'b.png');
    const res = await api.fetch('/api/assets', { method: 'POST', body: form });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/Too many files/);
    // The same again, several at once.
    const again = await Promise.all(
      Array.from({ length: 5 }, () => api.fetch('/api/assets', { method: 'POST', body: form })),
    );
    expect(again.map((r) => r.status)).toEqual([400, 400, 400, 400, 400]);
    expect(await tool.alive()).toBe(true);
    expect(tool.output()).not.toContain('uncaught error');
  });

  it('a database outage while a render is watched: the stream stays, the process stays, and it ends when the render does', async () => {
    const speech = await makeSpeech([{ say: 'Progress survives an outage.' }]);
    const portrait = await api.upload('portrait', PORTRAIT);
    const audio = await api.upload('audio', speech.path);
    // No render node runs: the render stays queued, and its stream open.
    const render = await api.submit({ portrait: portrait.sha256, audio: audio.sha256, size: '384*256' });
    const res = await api.fetch(`/api/renders/${render.id}/events`);
    expect(res.status).toBe(200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = '';
    const readUntil = async (what: (s: string) => boolean): Promise<void> => {
      while (!what(seen)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended: ${seen}`);
        seen += value;
      }
    };
    await readUntil((s) => s.includes('event: render'));
    expect(seen).toMatch(/^id: \S+$/m); // every event has an id, for Last-Event-ID

    await databaseDown();
    try {
      // The stream polls the database every 2 s: two more keep-alives, and those polls met the outage.
      const mark = seen.length;
      await readUntil((s) => (s.slice(mark).match(/: keep-alive/g) ?? []).length >= 2);
      expect(await tool.alive()).toBe(true);
      // Requests that need the database fail cleanly meanwhile.
      expect((await api.fetch(`/api/renders/${render.id}`)).status).toBeGreaterThanOrEqual(500);
      expect(await tool.alive()).toBe(true);
    } finally {
      await databaseUp();
    }
    // Back: the same stream carries the render's end.
    let cancelled = 0;
    while (cancelled !== 202)
      cancelled = (await api.fetch(`/api/renders/${render.id}/cancel`, { method: 'POST' })).status;
    await readUntil((s) => s.includes('event: end'));
    expect(seen).toContain('"state":"cancelled"');
    expect(tool.output()).not.toContain('uncaught error');
    expect(await tool.alive()).toBe(true);
  });

  it('a client that reconnects with Last-Event-ID gets the current state first', async () => {
    const renders = await pool.query<{ id: string }>('SELECT id FROM renders LIMIT 1');
    const res = await api.fetch(`/api/renders/${renders.rows[0]!.id}/events`, {
      headers: { 'last-event-id': 'x-7' },
    });
    const text = await res.text(); // the render is finished: the stream ends by itself
    expect(text.indexOf('event: render')).toBeGreaterThanOrEqual(0);
    expect(text.indexOf('event: render')).toBeLessThan(text.indexOf('event: end'));
  });
});
