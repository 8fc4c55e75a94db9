import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { LanguageVersions } from '../lessons/language-versions.js';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import { playerPage } from '../lesson-pages/player-page.js';
import type { LtiSessions } from '../lti/lti-sessions.js';
import type { ProgressRepository } from '../progress/progress-repository.js';
import type { RenderRepository } from '../renders/render-repository.js';
import { ApiError } from '../web/api-error.js';
import { langOf } from '../web/i18n.js';
import { validate, validOf } from '../web/validate.js';
import type { PackageRepository } from './package-repository.js';

const PlayParams = z.object({ token: z.string().regex(/^vt_pkg_[\w-]{20,64}$/, 'a package token') });
const PlayQuery = z.object({
  /** The learner as the importing LMS names them (SCORM's student_id, cmi5's actor). */
  learner: z.string().trim().min(1).max(300),
  name: z.string().trim().max(200).optional(),
  lang: z.enum(['en', 'zh']).optional(),
});

/**
 * An exported package's page is the importing LMS's, on an origin nobody can know when it is made;
 * the package token is the capability, so any site may frame the player it opens.
 */
const frameAnywhere = (res: Response): void => {
  const csp = String(res.getHeader('content-security-policy') ?? '');
  res.setHeader('content-security-policy', csp.replace(/frame-ancestors [^;]*/, 'frame-ancestors *'));
};

/**
 * GET /packages/:token/play: the player of an exported lesson (SCORM 1.2 or cmi5), for the learner
 * the package's launch page names. It is the LTI learner's player, with a launch session of its own
 * (so heartbeats, questions, the dashboard and webhooks work alike), reporting its standing to the
 * launch page around it, which tells the LMS. Learners are known per package: `pkg:<id>:<learner>`.
 */
export function packageRoutes(d: {
  packages: PackageRepository;
  lessons: LessonRepository;
  renders: RenderRepository;
  sessions: LtiSessions;
  progress: ProgressRepository;
  versions: LanguageVersions;
  limit: RequestHandler;
}): Router {
  const router = Router();
  router.get(
    '/packages/:token/play',
    d.limit,
    validate({ params: PlayParams, query: PlayQuery }, 'Open the lesson from its package in your LMS.'),
    async (req, res) => {
      const { params, query } = validOf<unknown, z.infer<typeof PlayQuery>, z.infer<typeof PlayParams>>(res);
      const pkg = await d.packages.byToken(params.token);
      if (!pkg) throw ApiError.of('NOT_FOUND', 'This package was withdrawn, or is not one of ours.');
      const lesson = await d.lessons.inTenant(pkg.tenantId, pkg.lessonId);
      if (!lesson?.publishedRenderId)
        throw ApiError.of('NOT_FOUND', 'This lesson is not published any more.');
      const lang = query.lang ?? langOf(req);
      const userId = `pkg:${pkg.id}:${query.learner}`;
      const token = await d.sessions.create({
        tenantId: pkg.tenantId,
        platformId: `package:${pkg.id}`,
        deploymentId: pkg.format,
        contextId: lesson.contextId,
        userId,
        userName: query.name,
        role: 'learner',
        messageType: 'Package',
        lessonId: lesson.id,
        launch: { issuer: 'package', clientId: pkg.id, locale: lang === 'zh' ? 'zh-CN' : 'en' },
      });
      const shown = await d.renders.get(lesson.publishedRenderId, pkg.tenantId, lesson.contextId);
      const versions = shown ? await d.versions.of(shown) : [];
      const standing = await d.progress.standing(lesson.id, userId);
      req.log.info(
        {
          event: 'launch',
          messageType: 'Package',
          format: pkg.format,
          packageId: pkg.id,
          lessonId: lesson.id,
          tenantId: pkg.tenantId,
        },
        'package launch',
      );
      frameAnywhere(res);
      res
        .set('cache-control', 'no-store')
        .type('html')
        .send(playerPage(lang, { token, role: 'learner', lesson, versions, standing, reportToParent: true }));
    },
  );
  return router;
}
