import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { LessonRepository, LessonSummary } from '../lessons/lesson-repository.js';
import { exportLesson } from '../packages/package-export.js';
import { PACKAGE_FORMATS, type PackageRepository } from '../packages/package-repository.js';
import { html, type SafeHtml } from '../web/html.js';
import { Id } from '../web/request-schemas.js';
import { validate, validOf } from '../web/validate.js';
import type { Lang } from '../web/i18n.js';
import { adminPage } from './admin-page.js';
import { langOf, t } from '../web/i18n.js';
import { filterOf, resendOf } from '../progress/dashboard-filter.js';
import type { GradeResender } from '../grades/grade-delivery.js';
import { ApiError } from '../web/api-error.js';
import { dashboardView, resentNotice, sendCsv } from '../progress/dashboard-view.js';
import type { ProgressRepository } from '../progress/progress-repository.js';
import type { LessonInsightsService } from '../progress/lesson-insights.js';
import type { CorpRepository } from '../dingtalk/corp-repository.js';
import type { AdminUser } from './dingtalk-admin.js';
import { msg } from '../messages/messages.js';

/**
 * The admin's dashboard: any tenant, all its courses. An organisation's admin (signed in with
 * DingTalk) sees their organisation's tenant only.
 */
export function progressAdmin(
  d: {
    progress: ProgressRepository;
    corps: CorpRepository;
    grades: GradeResender;
    insights: LessonInsightsService;
    lessons: Pick<LessonRepository, 'published' | 'inTenant'>;
    packages: PackageRepository;
    publicUrl: string;
  },
  signedIn: RequestHandler,
): Router {
  const router = Router();
  /** The tenant an admin names, if it is theirs (an organisation's admin has one). */
  const tenantOf = async (user: AdminUser, asked: unknown): Promise<string> => {
    const scope = user.corpId ? (await d.corps.get(user.corpId))?.tenantId : undefined;
    const tenantId = String(asked ?? '');
    if (!tenantId || (user.corpId && tenantId !== scope)) throw ApiError.invalid('Name a tenant of yours.');
    return tenantId;
  };
  router.get('/admin/progress', signedIn, async (req, res) => {
    const lang = langOf(req);
    const { corpId } = req.user as AdminUser;
    const scope = corpId ? (await d.corps.get(corpId))?.tenantId : undefined;
    const tenants = (await d.progress.tenants()).filter((x) => !corpId || x.id === scope);
    const asked = typeof req.query.tenant === 'string' ? req.query.tenant : undefined;
    const tenantId = asked ?? tenants[0]?.id;
    const tenant = tenants.find((x) => x.id === tenantId);
    const { filter, csv } = filterOf(req.query);
    const rows = tenant ? await d.progress.list({ ...filter, tenantId: tenant.id }) : [];
    const resent = Number(req.query.resent);
    const lessons = tenant ? await d.progress.lessons(tenant.id) : [];
    const insights =
      tenant && filter.lessonId && lessons.some((l) => l.id === filter.lessonId)
        ? await d.insights.of(tenant.id, undefined, filter.lessonId)
        : undefined;
    if (csv) return sendCsv(res, 'completion', rows, insights);
    const published = tenant ? await d.lessons.published(tenant.id) : [];
    const heading = t(lang, msg.progressAdmin.completion);
    res.type('html').send(
      adminPage(
        lang,
        { current: '/admin/progress', heading, scoped: corpId !== undefined },
        html`<form method="get" action="/admin/progress">
            <label for="tenant">${t(lang, msg.progressAdmin.tenantLmsDeployment)}</label>
            <select id="tenant" name="tenant">
              ${tenants.map((x) => html`<option value="${x.id}" ${x.id === tenant?.id ? html`selected` : ''}>${x.name}</option>`)}
            </select>
            <button type="submit">${t(lang, msg.progressAdmin.show)}</button>
          </form>
          ${
            tenant
              ? dashboardView(lang, {
                  rows,
                  lessons,
                  filter,
                  form: { action: '/admin/progress', method: 'get', hidden: { tenant: tenant.id } },
                  byCourse: true,
                  resend: { action: '/admin/progress/resend', hidden: { tenant: tenant.id } },
                  notice: Number.isInteger(resent) && resent >= 0 ? resentNotice(lang, resent) : undefined,
                  insights,
                })
              : html`<p>${t(lang, msg.progressAdmin.noLessonsYet)}</p>`
          }
          ${tenant && published.length ? exportForm(lang, tenant.id, published) : ''}`,
      ),
    );
  });
  // Resend from the admin's dashboard: the tenant's refused grades, or one learner's.
  router.post(
    '/admin/progress/resend',
    signedIn,
    express.urlencoded({ extended: false, limit: '4kb' }),
    async (req, res) => {
      const body = (req.body ?? {}) as Record<string, string>;
      const { username } = req.user as AdminUser;
      const tenantId = await tenantOf(req.user as AdminUser, body.tenant);
      const resend = resendOf(body);
      if (!resend) throw ApiError.invalid('Name a tenant of yours and what to resend.');
      const n = await d.grades.resend({ tenantId, ...resend }, username);
      res.redirect(303, `/admin/progress?tenant=${encodeURIComponent(tenantId)}&resent=${n}`);
    },
  );

  // A published lesson as a SCORM 1.2 or cmi5 package, for an LMS without LTI (a download).
  router.post(
    '/admin/progress/package',
    signedIn,
    express.urlencoded({ extended: false, limit: '4kb' }),
    validate({ body: PackageForm }, 'Choose a lesson and a format.'),
    async (req, res) => {
      const body = validOf<z.infer<typeof PackageForm>>(res).body;
      const user = req.user as AdminUser;
      const tenantId = await tenantOf(user, body.tenant);
      const lesson = await d.lessons.inTenant(tenantId, body.lesson);
      if (!lesson) throw ApiError.of('NOT_FOUND', 'No such lesson.');
      const by = `admin:${user.username}`;
      const pkg = await exportLesson(
        { packages: d.packages, toolUrl: d.publicUrl, log: req.log },
        { ...lesson, tenantId },
        body.format,
        by,
      );
      res.set('cache-control', 'no-store').attachment(pkg.fileName).type('application/zip').send(pkg.zip);
    },
  );
  return router;
}

const PackageForm = z.object({ tenant: Id, lesson: Id, format: z.enum(PACKAGE_FORMATS) });

/** Where an L&D admin downloads a lesson for an LMS that does not speak LTI 1.3. */
function exportForm(lang: Lang, tenantId: string, lessons: readonly LessonSummary[]): SafeHtml {
  return html`<section aria-labelledby="export-h">
    <h2 id="export-h">${t(lang, msg.progressAdmin.exportHeading)}</h2>
    <p>${t(lang, msg.progressAdmin.exportIntro)}</p>
    <form method="post" action="/admin/progress/package">
      <input type="hidden" name="tenant" value="${tenantId}" />
      <label for="export-lesson">${t(lang, msg.progressAdmin.lesson)}</label>
      <select id="export-lesson" name="lesson">
        ${lessons.map((l) => html`<option value="${l.id}">${l.title}</option>`)}
      </select>
      <fieldset>
        <legend>${t(lang, msg.progressAdmin.format)}</legend>
        <label
          ><input type="radio" name="format" value="scorm12" checked />
          ${t(lang, msg.progressAdmin.scorm12)}</label
        >
        <label><input type="radio" name="format" value="cmi5" /> ${t(lang, msg.progressAdmin.cmi5)}</label>
      </fieldset>
      <p><button type="submit">${t(lang, msg.progressAdmin.downloadPackage)}</button></p>
    </form>
  </section>`;
}
