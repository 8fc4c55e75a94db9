import express, { Router, type RequestHandler, type Response } from 'express';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import { sendLtiError } from '../lti/error-page.js';
import type { LtiSessions } from '../lti/lti-sessions.js';
import { allowPlatform } from '../lti/platform-framing.js';
import { adminNav } from '../admin/admin-nav.js';
import { html } from '../web/html.js';
import { langOf, t, type Lang } from '../web/i18n.js';
import { page } from '../web/page.js';
import { filterOf, resendOf } from './dashboard-filter.js';
import type { GradeResender } from '../grades/grade-delivery.js';
import { ApiError } from '../web/api-error.js';
import { dashboardCsv, dashboardView } from './dashboard-view.js';
import type { LearnerProgress, ProgressRepository } from './progress-repository.js';
import type { RosterService } from './roster-service.js';
import type { CorpRepository } from '../dingtalk/corp-repository.js';
import type { AdminUser } from '../dingtalk/dingtalk-admin.js';

export interface DashboardRoutesDeps {
  readonly sessions: LtiSessions;
  readonly progress: ProgressRepository;
  readonly roster: RosterService;
  readonly lessons: LessonRepository;
  readonly grades: GradeResender;
}

const resentNotice = (lang: Lang, n: number): string =>
  n
    ? t(lang, {
        en: `${n} refused grade(s) sent again; the Gradebook column shows how the LMS answers.`,
        zh: `已重新发送 ${n} 条被拒绝的成绩；“成绩同步”一栏会显示 LMS 的答复。`,
      })
    : t(lang, { en: 'No refused grades to send.', zh: '没有被拒绝的成绩需要发送。' });

const sendCsv = (res: Response, name: string, rows: readonly LearnerProgress[]): void =>
  void res
    .type('text/csv; charset=utf-8')
    .attachment(`${name}-${new Date().toISOString().slice(0, 10)}.csv`)
    .send(dashboardCsv(rows));

/**
 * The instructor's dashboard of a course, opened from the activity. Like the studio, the launch
 * session's token comes in the posted form (never a cookie), so no other site can open it for them.
 */
export function dashboardRoutes(d: DashboardRoutesDeps): Router {
  const router = Router();
  router.post('/lti/dashboard', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, string>;
    const session = await d.sessions.get(String(body.session ?? ''));
    if (!session) return sendLtiError(req, res, 'SESSION_EXPIRED', 'dashboard without a live session');
    if (session.role !== 'instructor')
      return sendLtiError(req, res, 'LEARNER_NOT_ALLOWED', 'a learner asked for the dashboard');
    const lang = (session.launch.locale ?? '').startsWith('zh') ? 'zh' : langOf(req);
    const { filter, csv } = filterOf(body);
    let notice: string | undefined;
    // "Resend": this course's refused grades, or one learner's, go back on the queue.
    const resend = resendOf(body);
    if (resend) {
      const n = await d.grades.resend(
        { tenantId: session.tenantId, contextId: session.contextId, ...resend },
        `instructor ${session.userId}`,
      );
      notice = resentNotice(lang, n);
    }
    try {
      await d.roster.refresh(session);
    } catch (e) {
      notice = [
        notice,
        t(lang, {
          en: `The course roster could not be fetched from the LMS (${(e as Error).message}); learners who have not started may be missing.`,
          zh: `无法从 LMS 获取课程名单（${(e as Error).message}）；未开始的学员可能未列出。`,
        }),
      ]
        .filter(Boolean)
        .join(' ');
    }
    const rows = await d.progress.list({
      ...filter,
      tenantId: session.tenantId,
      contextId: session.contextId,
    });
    if (csv) return sendCsv(res, 'completion', rows);
    allowPlatform(res, session.launch.issuer, { formPost: true });
    const lessons = await d.progress.lessons(session.tenantId, session.contextId);
    res.type('html').send(
      page(
        lang,
        t(lang, { en: 'Completion', zh: '完成情况' }),
        html`<main>
          ${dashboardView(lang, {
            rows,
            lessons,
            filter,
            notice,
            form: { action: '/lti/dashboard', method: 'post', hidden: { session: String(body.session) } },
            resend: { action: '/lti/dashboard', hidden: { session: String(body.session) } },
          })}
        </main>`,
      ),
    );
  });
  return router;
}

/**
 * The admin's dashboard: any tenant, all its courses. An organisation's admin (signed in with
 * DingTalk) sees their organisation's tenant only.
 */
export function progressAdmin(
  d: { progress: ProgressRepository; corps: CorpRepository; grades: GradeResender },
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
    if (csv) return sendCsv(res, 'completion', rows);
    const lessons = tenant ? await d.progress.lessons(tenant.id) : [];
    const heading = t(lang, { en: 'Completion', zh: '完成情况' });
    res.type('html').send(
      page(
        lang,
        heading,
        html`${adminNav(lang, '/admin/progress', corpId !== undefined)}
          <main>
            <form method="get" action="/admin/progress">
              <label for="tenant"
                >${t(lang, { en: 'Tenant (LMS deployment)', zh: '租户（LMS 部署）' })}</label
              >
              <select id="tenant" name="tenant">
                ${tenants.map((x) => html`<option value="${x.id}" ${x.id === tenant?.id ? html`selected` : ''}>${x.name}</option>`)}
              </select>
              <button type="submit">${t(lang, { en: 'Show', zh: '显示' })}</button>
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
                  })
                : html`<p>${t(lang, { en: 'No lessons yet.', zh: '尚无课程。' })}</p>`
            }
          </main>`,
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
