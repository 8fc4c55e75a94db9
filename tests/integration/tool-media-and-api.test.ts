import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { renderQueueName, type RenderJob } from '../../render-node/src/contract/render-job.js';
import { toolSecret } from '../../lti-tool/src/db/tool-secrets.js';
import { UrlSigner } from '../../lti-tool/src/media/url-signer.js';
import type { RunningTool } from '../../lti-tool/src/server.js';
import {
  createTestDatabase,
  REDIS_URL,
  startNode,
  startTestTool,
  stopNode,
  tenantClient,
  toolConfig,
  type ApiClient,
} from '../helpers/farm.js';
import { PORTRAIT } from '../helpers/paths.js';
import { makeSpeech, scratchDir } from '../helpers/speech.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let tool: RunningTool;
let prefix: string;
let alice: ApiClient;
let bob: ApiClient;
let portrait: { sha256: string; bytes: number };
let audio: { sha256: string; bytes: number };
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });

beforeAll(async () => {
  db = await createTestDatabase();
  const config = await toolConfig({ VT_DATABASE_URL: db.url, VT_MAX_UPLOAD_MB: '2' });
  prefix = config.VT_QUEUE_PREFIX;
  tool = await startTestTool(config);
  alice = await tenantClient(tool, 'alice-corp');
  bob = await tenantClient(tool, 'bob-corp');
  portrait = await alice.upload('portrait', PORTRAIT);
  audio = await alice.upload(
    'audio',
    (await makeSpeech([{ say: 'Signed links only, for every file a render node fetches or uploads.' }])).path,
  );
});

afterAll(async () => {
  await tool?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await db?.drop();
});

/** Submits a render (no node runs here) and reads the job a node would get. */
async function queuedJob(): Promise<{ id: string; job: RenderJob }> {
  const r = await alice.submit({
    portrait: portrait.sha256,
    audio: audio.sha256,
    size: '384*256',
    chunkSec: 2,
  });
  const queue = new Queue(renderQueueName('preview'), { connection: redis, prefix });
  const job = await queue.getJob(r.id);
  await queue.close();
  return { id: r.id, job: job!.data as RenderJob };
}

/** The tool's own URL signer, from the key it keeps in PostgreSQL (to mint URLs a node could not). */
const signer = async (): Promise<UrlSigner> => new UrlSigner(await toolSecret(tool.db, 'media-url-key'));

const put = (
  url: string,
  body: Buffer,
  sha = createHash('sha256').update(body).digest('hex'),
): Promise<Response> =>
  fetch(url, { method: 'PUT', body, headers: { 'x-content-sha256': sha, 'content-type': 'video/mp4' } });

describe('the tool API: authentication, validation, tenancy', () => {
  it('refuses calls without a valid API key', async () => {
    expect((await fetch(`${tool.url}/api/renders/x`)).status).toBe(401);
    const forged = await fetch(`${tool.url}/api/renders/x`, {
      headers: { authorization: 'Bearer vt_key_nope' },
    });
    expect(forged.status).toBe(401);
  });

  it('refuses a malformed render request, naming each problem', async () => {
    const res = await alice.fetch('/api/renders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ portrait: 'abc', audio: audio.sha256, size: '999*999', extra: 1 }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { problems: string[] };
    expect(body.problems.join('\n')).toMatch(/portrait/);
    expect(body.problems.join('\n')).toMatch(/extra|Unrecognized/i);
  });

  it('refuses assets of another tenant, and an audio file given as the portrait', async () => {
    const other = await bob.fetch('/api/renders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ portrait: portrait.sha256, audio: audio.sha256 }),
    });
    expect(other.status).toBe(422);
    const swapped = await alice.fetch('/api/renders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ portrait: audio.sha256, audio: audio.sha256 }),
    });
    expect(swapped.status).toBe(422);
    expect(await swapped.text()).toMatch(/is a audio, not a portrait|not a portrait/);
  });

  it("hides one tenant's renders from another: status, events and cancel are 404", async () => {
    const { id } = await queuedJob();
    expect((await alice.fetch(`/api/renders/${id}`)).status).toBe(200);
    for (const [path, method] of [
      [`/api/renders/${id}`, 'GET'],
      [`/api/renders/${id}/events`, 'GET'],
      [`/api/renders/${id}/cancel`, 'POST'],
    ] as const)
      expect((await bob.fetch(path, { method })).status).toBe(404);
  });

  it('sniffs uploads: a disguised file, an empty one and an oversized one are refused; hostile names are defanged', async () => {
    const dir = scratchDir();
    const disguised = join(dir, 'portrait.jpg');
    writeFileSync(disguised, Buffer.from('PK\x03\x04 this is a zip file, not a JPEG'));
    const form = (file: string, kind: string, name: string): FormData => {
      const f = new FormData();
      f.set('kind', kind);
      f.set('file', new Blob([readFileSync(file)], { type: 'image/jpeg' }), name);
      return f;
    };
    const res = await alice.fetch('/api/assets', {
      method: 'POST',
      body: form(disguised, 'portrait', 'portrait.jpg'),
    });
    expect(res.status).toBe(415);
    const asAudio = await alice.fetch('/api/assets', {
      method: 'POST',
      body: form(PORTRAIT, 'audio', 'voice.wav'),
    });
    expect(asAudio.status).toBe(415);
    const empty = join(dir, 'empty.png');
    writeFileSync(empty, Buffer.alloc(0));
    expect(
      (await alice.fetch('/api/assets', { method: 'POST', body: form(empty, 'portrait', 'empty.png') }))
        .status,
    ).toBe(415);
    const big = join(dir, 'big.png');
    writeFileSync(big, Buffer.concat([readFileSync(PORTRAIT), Buffer.alloc(2.5 * 1024 * 1024)]));
    expect(
      (await alice.fetch('/api/assets', { method: 'POST', body: form(big, 'portrait', 'big.png') })).status,
    ).toBe(413);
    const hostile = await alice.fetch('/api/assets', {
      method: 'POST',
      body: form(PORTRAIT, 'portrait', '..\\..\\Windows/../../etc/passwd.png'),
    });
    expect(hostile.status).toBe(201);
    expect(((await hostile.json()) as { originalName: string }).originalName).toBe('passwd.png');
    // A control character in a part header is a malformed request: refused, and not as our failure.
    const malformed = await alice.fetch('/api/assets', {
      method: 'POST',
      body: form(PORTRAIT, 'portrait', 'bell\u0007.png'),
    });
    expect(malformed.status).toBe(400);
  });
});

describe('the media store over signed URLs', () => {
  it('serves a node its input over the signed URL, byte for byte, and nothing with a forged or expired one', async () => {
    const { job } = await queuedJob();
    const ok = await fetch(job.inputs.portrait.url);
    expect(ok.status).toBe(200);
    const bytes = Buffer.from(await ok.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(portrait.sha256);

    const url = new URL(job.inputs.portrait.url);
    const forged = new URL(url);
    forged.searchParams.set('sig', `${url.searchParams.get('sig')!.slice(0, -2)}AA`);
    expect((await fetch(forged)).status).toBe(403);
    // A signature for one object does not open another.
    const other = new URL(job.inputs.audio.url);
    other.searchParams.set('sig', url.searchParams.get('sig')!);
    other.searchParams.set('exp', url.searchParams.get('exp')!);
    expect((await fetch(other)).status).toBe(403);
    // Moving the expiry invalidates the signature; a past expiry is refused as expired.
    const later = new URL(url);
    later.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 3600));
    expect((await fetch(later)).status).toBe(403);
    const past = Math.floor(Date.now() / 1000) - 1;
    const expired = new URL(url);
    expired.searchParams.set('exp', String(past));
    expired.searchParams.set('sig', (await signer()).sign(`node-asset:${portrait.sha256}`, past));
    const res = await fetch(expired);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ status: 403, code: 'LINK_EXPIRED' });
  });

  it('refuses expired upload URLs, forged ones, sha256 mismatches and names that are not outputs', async () => {
    const { id, job } = await queuedJob();
    const body = readFileSync(PORTRAIT);
    const at = (name: string, base = job.outputs.uploadUrl): string => base.replace('{name}', name);

    const [, , , , , exp, sig] = new URL(job.outputs.uploadUrl).pathname.split('/');
    const forged = job.outputs.uploadUrl.replace(
      sig!,
      sig!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
    );
    expect((await put(at('poster.jpg', forged), body)).status).toBe(403);
    const moved = job.outputs.uploadUrl.replace(`/${exp}/`, `/${Number(exp) + 3600}/`);
    expect((await put(at('poster.jpg', moved), body)).status).toBe(403);
    // Correctly signed, but past its time.
    const past = Math.floor(Date.now() / 1000) - 60;
    const expired = job.outputs.uploadUrl.replace(
      `/${exp}/${sig}/`,
      `/${past}/${(await signer()).sign(`node-files:${id}`, past)}/`,
    );
    const expiredRes = await put(at('poster.jpg', expired), body);
    expect(expiredRes.status).toBe(403);
    expect(await expiredRes.json()).toMatchObject({ status: 403, code: 'LINK_EXPIRED' });
    // The URL of another render does not take uploads for this one.
    const { job: otherJob } = await queuedJob();
    const crossed = otherJob.outputs.uploadUrl.replace(otherJob.jobId, id);
    expect((await put(at('poster.jpg', crossed), body)).status).toBe(403);

    const mismatch = await put(at('poster.jpg'), body, '0'.repeat(64));
    expect(mismatch.status).toBe(422);
    expect(await tool.db.query('SELECT 1 FROM render_files WHERE render_id = $1', [id])).toMatchObject({
      rowCount: 0,
    });
    expect((await put(at('../../escape.jpg'), body)).status).toBeGreaterThanOrEqual(400);
    expect((await put(at('notes.txt'), body)).status).toBe(400);

    const good = await put(at('poster.jpg'), body);
    expect(good.status).toBe(201);
    // A node can fetch back what it uploaded (chunks, for resuming), with the sha256 to check it by.
    const back = await fetch(at('poster.jpg'));
    expect(back.headers.get('x-content-sha256')).toBe(portrait.sha256);
    expect(Buffer.from(await back.arrayBuffer()).equals(body)).toBe(true);
    expect((await fetch(at('chunks/0123456789abcdef/chunk_00000.mp4'))).status).toBe(404);
  });

  it('serves browsers only finished renders, with Range requests and the right types', async () => {
    const node = await startNode('media-node', { VT_QUEUE_PREFIX: prefix });
    try {
      const { id } = await queuedJob();
      const done = await alice.waitFor(id, ['done', 'failed'], 60_000);
      expect(done.state).toBe('done');
      const whole = Buffer.from(await (await fetch(done.media!.mp4)).arrayBuffer());
      const ranged = await fetch(done.media!.mp4, { headers: { range: 'bytes=10-19' } });
      expect(ranged.status).toBe(206);
      expect(ranged.headers.get('content-range')).toBe(`bytes 10-19/${whole.length}`);
      expect(ranged.headers.get('content-type')).toBe('video/mp4');
      expect(Buffer.from(await ranged.arrayBuffer()).equals(whole.subarray(10, 20))).toBe(true);
      // Only listed outputs: the player URL reaches no chunk, and no other render.
      const { rows } = await tool.db.query<{ name: string }>(
        "SELECT name FROM render_files WHERE render_id = $1 AND name LIKE 'chunks/%'",
        [id],
      );
      expect(rows.length).toBeGreaterThan(0);
      expect((await fetch(done.media!.mp4.replace('lesson.mp4', rows[0]!.name))).status).toBe(404);
      const { id: otherId } = await queuedJob();
      expect((await fetch(done.media!.mp4.replace(id, otherId))).status).toBe(403);
    } finally {
      await stopNode(node, 'SIGTERM');
    }
  });

  it('takes no uploads for a render that is finished', async () => {
    const { id, job } = await queuedJob();
    expect((await alice.fetch(`/api/renders/${id}/cancel`, { method: 'POST' })).status).toBe(202);
    const res = await put(job.outputs.uploadUrl.replace('{name}', 'poster.jpg'), readFileSync(PORTRAIT));
    expect(res.status).toBe(409);
  });
});
