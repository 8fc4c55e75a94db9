import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Router, type Request, type Response } from 'express';
import { fileTypeFromFile } from 'file-type';
import multer from 'multer';
import type { AssetKind, AssetRepository } from '../assets/asset-repository.js';
import type { MediaStore } from '../media/media-store.js';
import { isRenderError } from '../../../render-node/src/contract/render-errors.js';
import type { InputChecks } from '../media/media-tools.js';
import { ApiError } from '../web/api-error.js';
import { callerOf } from './api-auth.js';
import { ShaParams } from '../web/request-schemas.js';
import { validate, validOf } from '../web/validate.js';
import { z } from 'zod';
import { jsonAnswer, openApiPath, refusals, type ApiDescription } from './api-description.js';

/** A file name as the author knows it, for display only: no path, no control characters, bounded. */
export const displayName = (name: string): string =>
  name
    .split(/[\\/]/)
    .pop()!
    .replace(/\p{Cc}/gu, '')
    .slice(0, 200);

/** What the API shows of a stored asset. */
export const AssetSchema = z
  .object({
    sha256: z.string().meta({ description: 'Its content address: how renders name it.' }),
    kind: z.enum(['portrait', 'audio']),
    contentType: z.string().meta({ description: 'As sniffed from its bytes.' }),
    bytes: z.number().int(),
    originalName: z.string(),
  })
  .meta({ id: 'Asset' });

export const describeAssetsRoutes: ApiDescription = (r) => {
  r.registerPath({
    method: 'post',
    path: '/api/assets',
    operationId: 'uploadAsset',
    summary: 'Upload a portrait or a recording',
    description: 'Stored content-addressed: the same bytes uploaded twice are one asset.',
    request: {
      body: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: z.object({
              kind: z.enum(['portrait', 'audio']),
              file: z.string().meta({ format: 'binary', description: 'JPEG, PNG or WebP; or audio.' }),
            }),
          },
        },
      },
    },
    responses: { 201: jsonAnswer(AssetSchema, 'Stored.'), ...refusals(400, 401, 413, 415, 422) },
  });
  r.registerPath({
    method: 'get',
    path: openApiPath('/api/assets/:sha'),
    operationId: 'getAsset',
    summary: 'An asset’s bytes',
    request: { params: ShaParams },
    responses: {
      200: {
        description: 'The file, with its sniffed type.',
        content: {
          'image/*': { schema: z.string().meta({ format: 'binary' }) },
          'audio/*': { schema: z.string().meta({ format: 'binary' }) },
        },
      },
      ...refusals(400, 401, 404),
    },
  });
};

/**
 * POST /api/assets (multipart: `kind` = portrait | audio, `file`): the bytes are sniffed, not trusted
 * by name or declared type, stored content-addressed, and recorded for the caller's tenant.
 * GET /api/assets/:sha gives one back.
 */
export function assetsRoutes(d: {
  assets: AssetRepository;
  store: MediaStore;
  maxUploadBytes: number;
  /** The render node's input rules (media/media-tools.ts), handed in by the composition root. */
  checks: InputChecks;
}): Router {
  const accepted: Record<AssetKind, (mime: string) => boolean> = {
    portrait: (m) => ['image/jpeg', 'image/png', 'image/webp'].includes(m),
    // Only the audio types ffmpeg is told to read by their own demuxer.
    audio: (m) => d.checks.acceptsAudio(m),
  };
  const upload = multer({
    dest: tmpdir(),
    limits: { fileSize: d.maxUploadBytes, files: 1, fields: 4, fieldSize: 1024 },
  });
  const router = Router();
  router.post('/api/assets', (req, res, next) => {
    // The handler's promise is always settled into next(): a failure in it, even in its cleanup, is
    // one request's error, never an unhandled rejection.
    upload.single('file')(req, res, (err: unknown) => void take(req, res, err).catch(next));
  });
  const take = async (req: Request, res: Response, err: unknown): Promise<void> => {
    const file = req.file;
    try {
      if (err instanceof multer.MulterError) {
        throw err.code === 'LIMIT_FILE_SIZE'
          ? ApiError.of('PAYLOAD_TOO_LARGE', `Upload refused: ${err.message}.`)
          : ApiError.of('INVALID_REQUEST', `Upload refused: ${err.message}.`);
      }
      // Anything else the multipart parser throws is a malformed request, not our failure.
      if (err) throw ApiError.of('INVALID_REQUEST', 'The upload could not be read as a form.');
      const kind = req.body?.kind as AssetKind;
      if (!Object.hasOwn(accepted, kind))
        throw ApiError.of('INVALID_REQUEST', 'kind must be portrait or audio.');
      if (!file) throw ApiError.of('INVALID_REQUEST', 'No file was sent (field "file").');
      const sniffed = await fileTypeFromFile(file.path);
      if (!sniffed || !accepted[kind](sniffed.mime))
        throw ApiError.of(
          'UNSUPPORTED_MEDIA_TYPE',
          `This file is not a supported ${kind === 'portrait' ? 'image (JPEG, PNG, WebP)' : 'audio file'}` +
            (sniffed ? `: it is ${sniffed.mime}.` : '.'),
        );
      // A portrait's size is read from its header before anything decodes it (the face check would).
      if (kind === 'portrait') {
        const size = await d.checks.checkPortraitSize(file.path).catch((e: unknown) => e as Error);
        if (isRenderError(size)) throw size; // IMAGE_TOO_LARGE, with its code
      }
      const stored = await d.store.ingest(createReadStream(file.path), { maxBytes: d.maxUploadBytes });
      const asset = {
        sha256: stored.sha256,
        kind,
        contentType: sniffed.mime,
        bytes: stored.bytes,
        originalName: displayName(file.originalname),
      };
      await d.assets.put(callerOf(req.user).tenantId, asset);
      res.status(201).json(asset);
    } finally {
      // multer may hand over a file it already removed (a refused second part): no path then.
      if (file?.path) await rm(file.path, { force: true }).catch(() => {});
    }
  };

  // An asset of the caller's tenant, back (the studio plays a spoken script before rendering it).
  // Another tenant's asset is "not found", like one that does not exist.
  router.get('/api/assets/:sha', validate({ params: ShaParams }), async (req, res) => {
    const { sha } = validOf<unknown, unknown, z.infer<typeof ShaParams>>(res).params;
    const asset = await d.assets.get(callerOf(req.user).tenantId, sha);
    if (!asset) throw ApiError.of('NOT_FOUND', 'No such asset.');
    res.type(asset.contentType);
    res.sendFile(d.store.path(asset.sha256), { headers: { 'cache-control': 'private, max-age=3600' } });
  });
  return router;
}
