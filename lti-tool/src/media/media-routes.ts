import { Router, type Request } from 'express';
import type { Logger } from 'pino';
import { outputType } from '../../../render-node/src/contract/output-manifest.js';
import { narrationTrack } from '../narration/narration-tracks.js';
import type { RenderRepository } from '../renders/render-repository.js';
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

  router.get('/media/node/assets/:sha', async (req, res) => {
    const sha = req.params.sha;
    if (!SHA256.test(sha)) throw ApiError.of('NOT_FOUND', 'No such asset.');
    signed(req, scopes.nodeAsset(sha), String(req.query.exp), String(req.query.sig));
    if (!(await d.store.has(sha))) throw ApiError.of('NOT_FOUND', 'No such asset.');
    res.type('application/octet-stream').setHeader('x-content-sha256', sha);
    res.sendFile(d.store.path(sha), { cacheControl: false });
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
    res.sendFile(d.store.path(file.sha256), { cacheControl: false });
  });

  router.get('/media/renders/:id/:exp/:sig/*name', async (req, res) => {
    const { id, exp, sig } = req.params;
    signed(req, scopes.playerFiles(id), exp, sig);
    const name = fileName(req);
    const render = await d.renders.get(id);
    if (render?.state !== 'done') throw ApiError.of('NOT_FOUND', 'No such file.');
    // A finished render's own outputs (never chunks), and the captions and chapters of its script.
    const track = narrationTrack(render.narration, name);
    const listed = render.result?.files.some((f) => f.name === name);
    const file = track
      ? { sha256: track, contentType: 'text/vtt; charset=utf-8' }
      : listed
        ? await d.renders.file(id, name)
        : undefined;
    if (!file) throw ApiError.of('NOT_FOUND', 'No such file.');
    res.type(file.contentType);
    res.sendFile(d.store.path(file.sha256), {
      cacheControl: false,
      headers: { 'cache-control': 'private, max-age=3600' },
    });
  });

  router.get('/media/posters/:id/:exp/:sig/poster.jpg', async (req, res) => {
    const { id, exp, sig } = req.params;
    signed(req, scopes.poster(id), exp, sig);
    const render = await d.renders.get(id);
    const file = render?.state === 'done' ? await d.renders.file(id, 'poster.jpg') : undefined;
    if (!file) throw ApiError.of('NOT_FOUND', 'No such file.');
    res.type(file.contentType);
    // Shown by another party (DingTalk's card), so other origins may embed this one image.
    res.sendFile(d.store.path(file.sha256), {
      cacheControl: false,
      headers: { 'cache-control': 'public, max-age=86400', 'cross-origin-resource-policy': 'cross-origin' },
    });
  });

  return router;
}

const contentTypeOf = (name: string): string => outputType(name)?.contentType ?? 'application/octet-stream';
