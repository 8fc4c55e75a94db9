import { Router } from 'express';
import { z } from 'zod';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import { exportLesson } from '../packages/package-export.js';
import { PACKAGE_FORMATS, type PackageRepository } from '../packages/package-repository.js';
import { ApiError } from '../web/api-error.js';
import { Id, IdParams } from '../web/request-schemas.js';
import { validate, validOf } from '../web/validate.js';
import { callerOf, lessonOfCaller, type ApiCaller } from './api-auth.js';
import { jsonBody, openApiPath, refusals, type ApiDescription } from './api-description.js';

const ExportSchema = z
  .object({
    format: z.enum(PACKAGE_FORMATS).meta({
      description:
        '`scorm12`: SCORM 1.2 (Moodle’s SCORM activity and most LMSs); `cmi5`: for an LMS with an LRS.',
    }),
  })
  .strict();
const PackageParams = IdParams.extend({ packageId: Id });

export const describeLessonPackagesRoutes: ApiDescription = (r) => {
  r.registerPath({
    method: 'post',
    path: openApiPath('/api/lessons/:id/packages'),
    operationId: 'exportLessonPackage',
    summary: 'Export a published lesson as a SCORM 1.2 or cmi5 package',
    description:
      'A zip to import into an LMS without LTI 1.3. Its page plays the lesson from this tool (signed ' +
      'media, progress kept here: the dashboard, questions and webhooks work) and reports completion ' +
      'and score to the LMS. Each export is a package of its own (`Location` names it), which can be ' +
      'withdrawn.',
    request: { params: IdParams, body: jsonBody(ExportSchema) },
    responses: {
      201: {
        description: 'The package.',
        content: { 'application/zip': { schema: z.string().meta({ format: 'binary' }) } },
      },
      ...refusals(400, 401, 404, 409),
    },
  });
  r.registerPath({
    method: 'delete',
    path: openApiPath('/api/lessons/:id/packages/:packageId'),
    operationId: 'withdrawLessonPackage',
    summary: 'Withdraw a package: its launch page stops opening the lesson',
    request: { params: PackageParams },
    responses: { 204: { description: 'Withdrawn.' }, ...refusals(400, 401, 404) },
  });
};

/**
 * /api/lessons/:id/packages: a published lesson exported for LMSs without LTI 1.3, and withdrawn. An
 * instructor's launch reaches its course's lessons; an API key its tenant's.
 */
export function lessonPackagesRoutes(d: {
  lessons: Pick<LessonRepository, 'get' | 'inTenant'>;
  packages: PackageRepository;
  publicUrl: string;
}): Router {
  const router = Router();
  const lessonOf = (caller: ApiCaller, id: string) => lessonOfCaller(d.lessons, caller, id);

  router.post(
    '/api/lessons/:id/packages',
    validate({ params: IdParams, body: ExportSchema }, 'Give the format: scorm12 or cmi5.'),
    async (req, res) => {
      const caller = callerOf(req.user);
      const { params, body } = validOf<z.infer<typeof ExportSchema>, unknown, z.infer<typeof IdParams>>(res);
      const lesson = await lessonOf(caller, params.id);
      const by = caller.session ? `lti:${caller.session.userId}` : 'api-key';
      const pkg = await exportLesson(
        { packages: d.packages, toolUrl: d.publicUrl, log: req.log },
        { ...lesson, tenantId: caller.tenantId },
        body.format,
        by,
      );
      res
        .status(201)
        .location(`/api/lessons/${lesson.id}/packages/${pkg.id}`)
        .set('cache-control', 'no-store')
        .attachment(pkg.fileName)
        .type('application/zip')
        .send(pkg.zip);
    },
  );

  router.delete(
    '/api/lessons/:id/packages/:packageId',
    validate({ params: PackageParams }),
    async (req, res) => {
      const caller = callerOf(req.user);
      const { id, packageId } = validOf<unknown, unknown, z.infer<typeof PackageParams>>(res).params;
      await lessonOf(caller, id);
      if (!(await d.packages.revoke(caller.tenantId, id, packageId)))
        throw ApiError.of('NOT_FOUND', 'No such package of this lesson.');
      req.log.info(
        { event: 'package', tenantId: caller.tenantId, lessonId: id, packageId },
        'package withdrawn',
      );
      res.status(204).end();
    },
  );
  return router;
}
