import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import type { OutputFile } from '../contract/render-job.js';
import { RenderError } from '../contract/render-errors.js';

export interface InputRef {
  readonly url: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** Downloads an input over its signed URL, refusing anything but the exact bytes the job names. */
export async function downloadInput(ref: InputRef, target: string, what: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(ref.url, { signal: AbortSignal.timeout(120_000) });
  } catch (e) {
    throw new RenderError('TRANSFER_FAILED', `Could not fetch the ${what}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (!response.ok || !response.body) {
    const permanent =
      response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429;
    throw new RenderError(
      permanent ? 'INPUT_MISMATCH' : 'TRANSFER_FAILED',
      `Fetching the ${what} was answered ${response.status} ${response.statusText}.`,
    );
  }
  await downloadBody(response, ref, target, `the ${what}`);
}

/** Streams a response body to a file, refusing anything but the bytes `expected` names. */
async function downloadBody(
  response: Response,
  expected: { readonly sha256: string; readonly bytes: number },
  target: string,
  what: string,
): Promise<void> {
  const hash = createHash('sha256');
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > expected.bytes)
        return done(new RenderError('INPUT_MISMATCH', `${capital(what)} is larger than expected.`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(response.body as never), count, createWriteStream(target));
  if (bytes !== expected.bytes || hash.digest('hex') !== expected.sha256) {
    throw new RenderError('INPUT_MISMATCH', `${capital(what)} does not match (size or sha256 differ).`);
  }
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The signed URL of one output: `{name}` replaced by its path, each segment escaped. */
const outputUrl = (uploadUrl: string, name: string): string =>
  uploadUrl.replace('{name}', name.split('/').map(encodeURIComponent).join('/'));

/**
 * Fetches back an output an earlier attempt uploaded (a finished chunk), verified against the sha256
 * the tool recorded for it. Resolves false when the tool has no such file.
 */
export async function fetchUploaded(uploadUrl: string, name: string, target: string): Promise<boolean> {
  let response: Response;
  try {
    response = await fetch(outputUrl(uploadUrl, name), { signal: AbortSignal.timeout(120_000) });
  } catch (e) {
    throw new RenderError('TRANSFER_FAILED', `Could not fetch ${name}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (response.status === 404) return false;
  const sha256 = response.headers.get('x-content-sha256');
  const bytes = Number(response.headers.get('content-length'));
  if (!response.ok || !response.body || !sha256 || !Number.isInteger(bytes)) {
    await response.body?.cancel();
    throw new RenderError('TRANSFER_FAILED', `Fetching ${name} was answered ${response.status}.`);
  }
  await downloadBody(response, { sha256, bytes }, target, name);
  return true;
}

const PARALLEL_UPLOADS = 4;

export interface UploadOptions {
  /** Give up after this long of failed tries (the tool may be restarting). */
  readonly retryForSec?: number;
  readonly signal?: AbortSignal;
}

/**
 * PUTs each output (a few at a time) to the job's signed upload URL, with its sha256 for the tool to verify. Network
 * errors and 5xx answers are retried with backoff until `retryForSec`; a 4xx is final.
 */
export async function uploadOutputs(
  uploadUrl: string,
  dir: string,
  files: readonly OutputFile[],
  o: UploadOptions = {},
): Promise<void> {
  const pending = [...files];
  // A few at a time: HLS segments are small, and the tool hashes each as it arrives.
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL_UPLOADS, files.length) }, async () => {
      for (let f = pending.shift(); f; f = pending.shift())
        await uploadFile(uploadUrl, f, join(dir, f.name), o);
    }),
  );
}

/** PUTs one local file as the output `f` (its name on the tool may differ from the local path). */
export async function uploadFile(
  uploadUrl: string,
  f: Pick<OutputFile, 'name' | 'contentType' | 'sha256'>,
  path: string,
  o: UploadOptions = {},
): Promise<void> {
  const url = outputUrl(uploadUrl, f.name);
  const deadline = Date.now() + (o.retryForSec ?? 600) * 1000;
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    try {
      const res = await fetch(url, {
        method: 'PUT',
        body: Readable.toWeb(createReadStream(path)) as never,
        duplex: 'half',
        headers: {
          'content-type': f.contentType,
          'content-length': String((await stat(path)).size),
          'x-content-sha256': f.sha256,
        },
        signal: o.signal ?? AbortSignal.timeout(300_000),
      } as RequestInit);
      reason = `${res.status} ${await res.text().catch(() => '')}`.trim();
      if (res.ok) return;
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        throw new RenderError('UPLOAD_REFUSED', `Uploading ${f.name} was refused: ${reason}`);
      }
    } catch (e) {
      if (e instanceof RenderError || o.signal?.aborted) throw e;
      reason = (e as Error).message;
    }
    if (Date.now() > deadline)
      throw new RenderError('TRANSFER_FAILED', `Uploading ${f.name} kept failing: ${reason}`);
    await new Promise((r) => setTimeout(r, Math.min(10_000, 250 * 2 ** Math.min(attempt, 6))));
  }
}
