import express, { Router, type RequestHandler } from 'express';
import { adminPage } from './admin-page.js';
import { html } from '../web/html.js';
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
  },
  signedIn: RequestHandler,
): Router {
  const router = Router();
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
          }`,
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
      const { corpId, username } = req.user as AdminUser;
      const scope = corpId ? (await d.corps.get(corpId))?.tenantId : undefined;
      const tenantId = String(body.tenant ?? '');
      const resend = resendOf(body);
      if (!tenantId || (corpId && tenantId !== scope) || !resend)
        throw ApiError.invalid('Name a tenant of yours and what to resend.');
      const n = await d.grades.resend({ tenantId, ...resend }, username);
      res.redirect(303, `/admin/progress?tenant=${encodeURIComponent(tenantId)}&resent=${n}`);
    },
  );
  return router;
}
