import { relative } from 'node:path';
import { Router, type Request, type Response } from 'express';
import type { SendFileOptions } from 'express-serve-static-core';
import type { Logger } from 'pino';
import { outputType } from '../../../render-node/src/contract/output-manifest.js';
import type { RenderRepository } from '../renders/render-repository.js';
import { FinishedFiles } from './finished-files.js';
import { IngestError, type MediaStore } from './media-store.js';
import { scopes } from './media-urls.js';
import type { UrlSigner } from './url-signer.js';
import { ApiError } from '../web/api-error.js';

export interface MediaRoutesDeps {
  readonly signer: UrlSigner;
  readonly store: MediaStore;
  readonly renders: RenderRepository;
  readonly maxUploadBytes: number;
  readonly log: Logger;
  /** Where nginx serves the media store internally (X-Accel-Redirect), when it fronts the tool. */
  readonly accelPrefix?: string;
}

/** Names a node may upload: the outputs of the contract and its resumable chunks; nothing else. */
const UPLOAD_NAME =
  /^(lesson\.mp4|poster\.jpg|metadata\.json|captions(\.[a-z]{2}(-[A-Za-z]{2,4})?)?\.vtt|hls\/index\.m3u8|hls\/segment_\d{5}\.ts|chunks\/[0-9a-f]{16}\/(chunk_\d{5}\.mp4|part_[0-9a-f]{32}\.mp4|state\.json))$/;
/** A part of a voice, keyed by its content: any render of the same tenant may fetch it. */
const SHARED_PART = /^chunks\/[0-9a-f]{16}\/part_[0-9a-f]{32}\.mp4$/;
const SHA256 = /^[0-9a-f]{64}$/;

const PROBLEM_STATUS: Record<IngestError['problem'], number> = {
  'too-large': 413,
  'size-mismatch': 400,
  'sha-mismatch': 422,
  empty: 400,
};

/**
 * Media over signed URLs. Render nodes GET inputs and PUT outputs (verified by size and sha256 on
 * arrival) and GET back their chunks; browsers GET a finished lesson's files. Everything is served
 * from the content-addressed store with Range support and the type recorded at upload.
 */
export function mediaRoutes(d: MediaRoutesDeps): Router {
  const router = Router();

  /** A URL's signature for `scope`, checked: an expired or forged link is refused (403). */
  const signed = (req: Request, scope: string, exp: string, sig: string): void => {
    const check = d.signer.check(scope, exp, sig);
    if (check === 'ok') return;
    d.log.warn({ path: req.path, check }, 'refused a media request');
    throw check === 'expired'
      ? new ApiError(403, 'LINK_EXPIRED', 'This link has expired.')
      : ApiError.of('BAD_SIGNATURE', 'This link is not valid.');
  };
  const fileName = (req: Request): string => ([] as string[]).concat(req.params.name ?? []).join('/');
  const finished = new FinishedFiles(d.renders);
  /**
   * Sends a stored object, Range requests included. Behind nginx (`accelPrefix` set) the tool only
   * decides and nginx sends the bytes (X-Accel-Redirect to an internal location over the store);
   * alone it reads in 1 MiB pieces (a player's Range is often that long; fs's default is 64 KiB).
   */
  const send = (res: Response, sha256: string, headers: Record<string, string> = {}): void => {
    if (d.accelPrefix) {
      res
        .set(headers)
        .setHeader('x-accel-redirect', `${d.accelPrefix}${relative(d.store.root, d.store.path(sha256))}`);
      res.end();
      return;
    }
    res.sendFile(d.store.path(sha256), {
      cacheControl: false,
      headers,
      highWaterMark: 1 << 20,
    } as SendFileOptions);
  };

  router.get('/media/node/assets/:sha', async (req, res) => {
    const sha = req.params.sha;
    if (!SHA256.test(sha)) throw ApiError.of('NOT_FOUND', 'No such asset.');
    signed(req, scopes.nodeAsset(sha), String(req.query.exp), String(req.query.sig));
    if (!(await d.store.has(sha))) throw ApiError.of('NOT_FOUND', 'No such asset.');
    res.type('application/octet-stream').setHeader('x-content-sha256', sha);
    send(res, sha);
  });

  router.put('/media/node/renders/:id/:exp/:sig/*name', async (req, res) => {
    const { id, exp, sig } = req.params;
    signed(req, scopes.nodeFiles(id), exp, sig);
    const name = fileName(req);
    if (!UPLOAD_NAME.test(name)) throw ApiError.of('INVALID_REQUEST', `${name} is not a render output.`);
    const announced = String(req.headers['x-content-sha256'] ?? '');
    if (!SHA256.test(announced)) throw ApiError.of('INVALID_REQUEST', 'x-content-sha256 is required.');
    const length = Number(req.headers['content-length']);
    if (!Number.isSafeInteger(length))
      throw new ApiError(411, 'LENGTH_REQUIRED', 'Content-Length is required.');
    const render = await d.renders.get(id);
    if (!render) throw ApiError.of('NOT_FOUND', 'No such render.');
    if (!['queued', 'active'].includes(render.state))
      throw ApiError.of('CONFLICT', `The render is ${render.state}; it takes no more files.`);
    try {
      const stored = await d.store.ingest(req, {
        maxBytes: d.maxUploadBytes,
        expectSha256: announced,
        expectBytes: length,
      });
      await d.renders.putFile(id, {
        name,
        sha256: stored.sha256,
        bytes: stored.bytes,
        contentType: contentTypeOf(name),
      });
      res.status(201).json({ name, sha256: stored.sha256, bytes: stored.bytes });
    } catch (e) {
      if (!(e instanceof IngestError)) throw e;
      d.log.warn({ renderId: id, name, problem: e.problem }, 'refused an upload');
      throw new ApiError(
        PROBLEM_STATUS[e.problem],
        `UPLOAD_${e.problem.toUpperCase().replace(/-/g, '_')}`,
        `Refused ${name}: ${e.message}.`,
      );
    }
  });

  router.get('/media/node/renders/:id/:exp/:sig/*name', async (req, res) => {
    const { id, exp, sig } = req.params;
    signed(req, scopes.nodeFiles(id), exp, sig);
    const name = fileName(req);
    const file =
      (await d.renders.file(id, name)) ??
      (SHARED_PART.test(name) ? await d.renders.tenantFile(id, name) : undefined);
    if (!file) throw ApiError.of('NOT_FOUND', 'No such file.');
    res.type(file.contentType).setHeader('x-content-sha256', file.sha256);
    send(res, file.sha256);
  });

  router.get('/media/renders/:id/:exp/:sig/*name', async (req, res) => {
    const { id, exp, sig } = req.params;
    signed(req, scopes.playerFiles(id), exp, sig);
    const file = await finished.get(id, fileName(req));
    if (!file) throw ApiError.of('NOT_FOUND', 'No such file.');
    res.type(file.contentType);
    send(res, file.sha256, { 'cache-control': 'private, max-age=3600' });
  });

  router.get('/media/posters/:id/:exp/:sig/poster.jpg', async (req, res) => {
    const { id, exp, sig } = req.params;
    signed(req, scopes.poster(id), exp, sig);
    const file = await finished.get(id, 'poster.jpg');
    if (!file) throw ApiError.of('NOT_FOUND', 'No such file.');
    res.type(file.contentType);
    // Shown by another party (DingTalk's card), so other origins may embed this one image.
    send(res, file.sha256, {
      'cache-control': 'public, max-age=86400',
      'cross-origin-resource-policy': 'cross-origin',
    });
  });

  return router;
}

const contentTypeOf = (name: string): string => outputType(name)?.contentType ?? 'application/octet-stream';
