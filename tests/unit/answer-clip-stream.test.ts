import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import pino from 'pino';
import { MediaUrls } from '../../lti-tool/src/media/media-urls.js';
import { UrlSigner } from '../../lti-tool/src/media/url-signer.js';
import { answerClipRoutes } from '../../lti-tool/src/tutor/answer-clip-routes.js';
import type { LiveClip } from '../../lti-tool/src/tutor/answer-clips.js';
import { errorHandler } from '../../lti-tool/src/web/error-handler.js';

/**
 * The answer clip's link while the clip renders: the bytes written so far go out at once, the rest as
 * it is written, and the response ends when the clip does. The file grows under the test's control.
 */
test('a clip being rendered is streamed as it grows, and ends with it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vt-clip-'));
  const path = join(dir, 'stream.mp4');
  let finish = (): void => {};
  let ended = false;
  const live: LiveClip = {
    path,
    ended: new Promise<void>((r) => (finish = () => ((ended = true), r()))),
    isEnded: () => ended,
  };
  const signer = new UrlSigner(Buffer.alloc(32, 7));
  const app = express();
  app.use(
    answerClipRoutes({
      signer,
      clips: { liveClip: (id) => (id === 'q1' ? live : undefined) },
      questions: { clipOf: async () => undefined },
      store: { path: () => '/nowhere' },
      log: pino({ level: 'silent' }),
    }),
  );
  app.use(errorHandler());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = new MediaUrls(signer, base, { nodeSec: 60, playerSec: 60 }).answerClip('q1');
  try {
    // Nothing written yet: the response waits for the first bytes.
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('content-length')).toBeNull();
    const reader = res.body!.getReader();
    writeFileSync(path, 'ftyp-moov-');
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe('ftyp-moov-');
    appendFileSync(path, 'moof-1');
    let rest = '';
    while (rest.length < 'moof-1'.length) rest += Buffer.from((await reader.read()).value!).toString();
    expect(rest).toBe('moof-1');
    appendFileSync(path, '-moof-2');
    finish();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += Buffer.from(value).toString();
    }
    expect(rest).toBe('moof-1-moof-2');

    // Another question's link, or a forged one, gets nothing.
    expect((await fetch(url.replace('/q1/', '/q2/'))).status).toBe(403);
    const other = new MediaUrls(signer, base, { nodeSec: 60, playerSec: 60 }).answerClip('q2');
    expect((await fetch(other)).status).toBe(404);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
