import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import type { ToolConfig } from '../../lti-tool/src/config.js';
import type { RunningTool } from '../../lti-tool/src/server.js';
import { detectFace } from '../../render-node/src/engines/preview/face/face-detector.js';
import { decodeAudio } from '../../render-node/src/media/ffmpeg.js';
import { checkAudio, checkPortrait } from '../../render-node/src/media/input-checks.js';
import { ApiClient, createTestDatabase, startTestTool, toolConfig } from '../helpers/farm.js';
import { PORTRAIT } from '../helpers/paths.js';
import { convertAudio, makeSpeech, scratchDir } from '../helpers/speech.js';

/**
 * Attacks through uploaded files, in the tool and on the render node: a small PNG declaring a
 * gigabyte of pixels; audio whose sniffed type hides a playlist or manifest that makes ffmpeg read
 * other files; and uploads that stall (before, Node cut every request at 300 s, large ones on slow
 * links too, and a stalled one held its connection for all that time).
 */
const STALL_SEC = 2;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let config: ToolConfig;
let tool: RunningTool;
let api: ApiClient;
let apiKey: string;
const dir = scratchDir('vt-uploads-');

beforeAll(async () => {
  db = await createTestDatabase();
  config = await toolConfig({ VT_DATABASE_URL: db.url, VT_UPLOAD_STALL_SEC: String(STALL_SEC) });
  tool = await startTestTool(config);
  await tool.tenants.ensureTenant('t1', 'Tenant one');
  apiKey = (await tool.tenants.createApiKey('t1', 'uploads')).secret;
  api = new ApiClient(tool.url, apiKey);
});

afterAll(async () => {
  await tool?.close();
  await db?.drop();
});

/** A valid PNG header that declares `width`×`height` pixels, with one row of data: a few hundred bytes. */
async function pngDeclaring(width: number, height: number, path: string): Promise<string> {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer): number => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1 + width * 3))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  await writeFile(path, png);
  return path;
}

describe('a portrait that declares too many pixels is refused before anything decodes it', () => {
  it('by the tool, at upload, with a clear message', async () => {
    const bomb = await pngDeclaring(16383, 16383, join(dir, 'bomb.png'));
    const form = new FormData();
    form.set('kind', 'portrait');
    form.set('file', new Blob([readFileSync(bomb)]), 'bomb.png');
    const res = await api.fetch('/api/assets', { method: 'POST', body: form });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { code: string; error: string };
    expect(body.code).toBe('IMAGE_TOO_LARGE');
    expect(body.error).toContain('16383×16383');
    expect(body.error).toContain('8192 pixels a side');
    // Just under the limits is fine as far as size goes.
    await expect(checkPortrait(await pngDeclaring(8192, 4096, join(dir, 'wide.png')))).rejects.toMatchObject({
      code: 'IMAGE_CORRUPT', // one row of data only: decoded, and found short
    });
  });

  it('by the render node and the face check', async () => {
    const bomb = await pngDeclaring(16383, 16383, join(dir, 'bomb2.png'));
    await expect(checkPortrait(bomb)).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
    await expect(detectFace(bomb)).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
    const tall = await pngDeclaring(100, 9000, join(dir, 'tall.png'));
    await expect(checkPortrait(tall)).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
  });
});

describe('an upload names its kind from a fixed list', () => {
  it('refuses kinds that are names of Object.prototype (they once reached a lookup by `in`)', async () => {
    for (const kind of ['__proto__', 'toString', 'constructor', 'hasOwnProperty']) {
      const form = new FormData();
      form.set('kind', kind);
      form.set('file', new Blob([readFileSync(PORTRAIT)]), 'portrait.jpg');
      const res = await api.fetch('/api/assets', { method: 'POST', body: form });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('kind must be portrait or audio.');
    }
  });
});

describe('user audio is read only as what its bytes are', () => {
  const ID3 = Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1');

  it('an ID3-prefixed HLS playlist naming a neighbour’s recording decodes nothing of it', async () => {
    const speech = await makeSpeech([{ say: 'This is another tenant’s private recording.' }]);
    const victim = await convertAudio(speech.path, join(dir, 'victim.mp3'));
    const evil = join(dir, 'evil-playlist');
    await writeFile(
      evil,
      Buffer.concat([
        ID3,
        Buffer.from('#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nvictim.mp3\n#EXT-X-ENDLIST\n'),
      ]),
    );
    let samples = 0;
    const decoded = (async () => {
      for await (const chunk of decodeAudio(evil, 16000)) samples += chunk.length;
    })();
    await expect(decoded).rejects.toThrow(/not an audio file/);
    expect(samples).toBe(0);
    await expect(checkAudio(evil, 600)).rejects.toMatchObject({ code: 'NOT_AUDIO' });
    // The genuine recording still decodes.
    let real = 0;
    for await (const chunk of decodeAudio(victim, 16000)) real += chunk.length;
    expect(real).toBeGreaterThan(16000);
  });

  it('a DASH manifest behind an audio signature is refused, in the tool and on the node', async () => {
    const mpd =
      '<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011" type="static" mediaPresentationDuration="PT2S"><Period><AdaptationSet><Representation id="a" bandwidth="1"><BaseURL>file:///etc/passwd</BaseURL></Representation></AdaptationSet></Period></MPD>';
    const evil = join(dir, 'evil-manifest');
    await writeFile(evil, Buffer.concat([Buffer.from([0x0b, 0x77]), Buffer.from(mpd)])); // sniffed as AC-3
    await expect(checkAudio(evil, 600)).rejects.toMatchObject({ code: 'NOT_AUDIO' });
    const form = new FormData();
    form.set('kind', 'audio');
    form.set('file', new Blob([Buffer.concat([Buffer.from([0x0b, 0x77]), Buffer.from(mpd)])]), 'talk.ac3');
    expect((await api.fetch('/api/assets', { method: 'POST', body: form })).status).toBe(415);
  });
});

/** A multipart upload written by hand, `chunk` bytes every `everyMs`, or stopping after `stopAfter`. */
function slowUpload(o: { bytes: number; chunk: number; everyMs: number; stopAfter?: number }): Promise<{
  status: number;
  body: string;
  closed: boolean;
}> {
  const boundary = 'vt-slow-boundary';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\naudio\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.wav"\r\n` +
      'Content-Type: audio/wav\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  // A WAV header then silence: a valid recording however slowly it comes.
  const wav = Buffer.alloc(o.bytes);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(o.bytes - 8, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(16000, 24);
  wav.writeUInt32LE(32000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(o.bytes - 44, 40);
  const body = Buffer.concat([head, wav, tail]);
  return new Promise((resolve, reject) => {
    const url = new URL(`${tool.url}/api/assets`);
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(body.length),
      },
    });
    let sent = 0;
    const timer = setInterval(() => {
      if (o.stopAfter !== undefined && sent >= o.stopAfter) return; // stalls here
      const next = body.subarray(sent, sent + o.chunk);
      sent += next.length;
      req.write(next);
      if (sent >= body.length) {
        clearInterval(timer);
        req.end();
      }
    }, o.everyMs);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => {
        clearInterval(timer);
        resolve({ status: res.statusCode!, body: text, closed: res.headers.connection === 'close' });
      });
    });
    req.on('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
  });
}

describe('uploads take as long as they need while they move', () => {
  it('an upload that keeps coming for longer than the stall limit is taken', async () => {
    // 64 kB every 50 ms for about twice the stall limit.
    const r = await slowUpload({ bytes: 64 * 1024 * 80, chunk: 64 * 1024, everyMs: 50 });
    expect(r.status).toBe(201);
  });

  it('an upload that stops sending is answered 408 and its connection closed', async () => {
    const r = await slowUpload({ bytes: 1024 * 1024, chunk: 64 * 1024, everyMs: 20, stopAfter: 256 * 1024 });
    expect(r.status).toBe(408);
    expect(r.closed).toBe(true);
    expect(r.body).toContain(`sent nothing for ${STALL_SEC} s`);
  });
});
