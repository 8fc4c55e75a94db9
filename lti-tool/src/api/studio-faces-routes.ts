import { Router } from 'express';
import type { AssetRepository } from '../assets/asset-repository.js';
import type { FaceFinder } from '../media/media-tools.js';
import type { MediaStore } from '../media/media-store.js';
import { ApiError } from '../web/api-error.js';
import type { ApiCaller } from './api-auth.js';
import { z } from 'zod';
import { jsonAnswer, openApiPath, refusals, type ApiDescription } from './api-description.js';
import { ShaParams } from '../web/request-schemas.js';
import { validate, validOf } from '../web/validate.js';

const FaceSchema = z.object({
  imageWidth: z.number().int(),
  imageHeight: z.number().int(),
  face: z.object({ x1: z.number(), y1: z.number(), x2: z.number(), y2: z.number(), score: z.number() }),
  faceCount: z.number().int(),
  warnings: z.array(z.string()),
});

export const describeStudioFacesRoutes: ApiDescription = (r) =>
  r.registerPath({
    method: 'get',
    path: openApiPath('/api/studio/faces/:sha'),
    operationId: 'findFace',
    summary: 'The face in an uploaded portrait',
    request: { params: ShaParams },
    responses: {
      200: jsonAnswer(FaceSchema, 'The face the renderer would animate.'),
      ...refusals(400, 401, 404, 422),
    },
  });

/**
 * GET /api/studio/faces/:sha: the face in an uploaded portrait of the caller's tenant, for the studio
 * to draw over its preview. The detector is the render node's, handed in (media/media-tools.ts).
 */
export function studioFacesRoutes(d: {
  assets: AssetRepository;
  store: MediaStore;
  findFace: FaceFinder;
}): Router {
  const router = Router();
  router.get('/api/studio/faces/:sha', validate({ params: ShaParams }), async (req, res) => {
    const caller = req.user as ApiCaller;
    const { sha } = validOf<unknown, unknown, z.infer<typeof ShaParams>>(res).params;
    const asset = await d.assets.get(caller.tenantId, sha);
    if (!asset || asset.kind !== 'portrait') throw ApiError.of('NOT_FOUND', 'No such portrait.');
    // A portrait without a usable face is refused with its code (NO_FACE, IMAGE_TOO_LARGE…).
    const a = await d.findFace(d.store.path(asset.sha256));
    res.json({
      imageWidth: a.imageWidth,
      imageHeight: a.imageHeight,
      face: { x1: a.face.x1, y1: a.face.y1, x2: a.face.x2, y2: a.face.y2, score: a.face.score },
      faceCount: a.faceCount,
      warnings: a.warnings,
    });
  });
  return router;
}
