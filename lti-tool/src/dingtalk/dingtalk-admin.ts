import cookieParser from 'cookie-parser';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type passport from 'passport';
import { z } from 'zod';
import type { DingTalkApi } from '../../../adapters/dingtalk/dingtalk-api.js';
import type { DingTalkIdentity } from '../../../adapters/dingtalk/dingtalk-identity.js';
import { WebLoginStrategy } from '../../../adapters/dingtalk/web-login-strategy.js';
import { adminNav } from '../admin/admin-nav.js';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import type { TenantRepository } from '../tenants/tenant-repository.js';
import { html } from '../web/html.js';
import { langOf, t, type Lang } from '../web/i18n.js';
import { page } from '../web/page.js';
import { AssignError, type Assignments } from './assignments.js';
import type { Corp, CorpRepository } from './corp-repository.js';
import { DeliveryError } from '../../../adapters/lms-adapter.js';
import { sendDingTalkError } from './dingtalk-page.js';

export interface DingTalkAdminDeps {
  readonly api: DingTalkApi;
  readonly corps: CorpRepository;
  readonly assignments: Assignments;
  readonly lessons: LessonRepository;
  readonly tenants: TenantRepository;
  readonly publicUrl: string;
  readonly secureCookies: boolean;
}

/** Who is signed in to the admin pages: a tool admin, or a DingTalk admin of one organisation. */
export interface AdminUser {
  readonly username: string;
  readonly corpId?: string;
}

/** The admin-session name of a DingTalk admin. */
export const dingtalkAdminName = (corpId: string, userid: string): string => `dingtalk:${corpId}:${userid}`;
export const parseDingTalkAdmin = (username: string): { corpId: string; userid: string } | undefined => {
  const m = /^dingtalk:([^:]+):(.+)$/.exec(username);
  return m ? { corpId: m[1]!, userid: m[2]! } : undefined;
};

const CorpForm = z.object({
  corpId: z
    .string()
    .trim()
    .regex(/^[\w-]{4,64}$/),
  name: z.string().trim().min(1).max(200),
  tenantId: z.string().trim().min(1).max(200),
  appKey: z.string().trim().min(4).max(200),
  appSecret: z.string().trim().min(8).max(500),
  agentId: z
    .string()
    .trim()
    .regex(/^\d{1,20}$/),
  callbackToken: z
    .string()
    .trim()
    .max(200)
    .optional()
    .transform((s) => s || undefined),
  callbackAesKey: z
    .string()
    .trim()
    .optional()
    .transform((s) => s || undefined)
    .pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9+/]{43}$/)
        .optional(),
    ),
  adminUserids: z.string().transform((s) => [...new Set(s.split(/[\s,]+/).filter(Boolean))]),
});

const AssignForm = z.object({
  lessonId: z.string().min(1).max(100),
  deptIds: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? [] : [v].flat()).map(Number).filter(Number.isSafeInteger)),
  userids: z
    .string()
    .optional()
    .transform((s) => [...new Set((s ?? '').split(/[\s,]+/).filter(Boolean))])
    .pipe(z.array(z.string().max(64)).max(5000)),
});

/**
 * The DingTalk pages of the admin area: tool admins connect organisations; an organisation's admins
 * (signed in with DingTalk, OAuth2) assign its tenant's lessons to departments and people and see
 * how the assignments went. A DingTalk admin sees their own organisation only.
 */
export function dingtalkAdmin(
  d: DingTalkAdminDeps,
  auth: passport.Authenticator,
  signedIn: RequestHandler,
  toolAdmin: RequestHandler,
): Router {
  const router = Router();
  // On the admin pages' own passport: its req.login keeps the sign-in in their session.
  auth.use(
    new WebLoginStrategy(d.api, (corpId) => d.corps.get(corpId), {
      callbackUrl: `${d.publicUrl.replace(/\/+$/, '')}/admin/dingtalk/callback`,
      cookiePath: '/admin/dingtalk',
      secureCookies: d.secureCookies,
    }),
  );
  const form = express.urlencoded({ extended: false, limit: '64kb' });

  const login: RequestHandler = (req, res, next) =>
    auth.authenticate(
      'dingtalk-web-login',
      { session: false },
      (err: Error | null, who: DingTalkIdentity | false, info?: { message?: string }) => {
        // DingTalk busy or out of reach: a page that says so, not a server error.
        if (err instanceof DeliveryError)
          return sendDingTalkError(req, res, 'DINGTALK_UNAVAILABLE', err.message);
        if (err) return next(err);
        const lang = langOf(req);
        if (!who) return refused(res, lang, info?.message ?? 'refused');
        void d.corps.get(who.corpId).then((corp) => {
          if (!corp?.adminUserids.includes(who.userid)) return refused(res, lang, 'not-an-admin');
          const user: AdminUser = {
            username: dingtalkAdminName(corp.corpId, who.userid),
            corpId: corp.corpId,
          };
          req.login(user, (e) => {
            if (e) return next(e);
            // Back from DingTalk's site: the SameSite=Strict session cookie goes with the next
            // same-site navigation, not with a redirect that began elsewhere.
            const to = `/admin/dingtalk/corps/${encodeURIComponent(corp.corpId)}`;
            res.type('html').send(
              page(
                lang,
                t(lang, { en: 'Signed in', zh: '已登录' }),
                html`<main>
                  <p role="status">
                    <a href="${to}">${t(lang, { en: 'Signed in — continue', zh: '已登录，继续' })}</a>
                  </p>
                </main>`,
                html`<meta http-equiv="refresh" content="0;url=${to}" />`,
              ),
            );
          });
        }, next);
      },
    )(req, res, next);
  router.get('/admin/dingtalk/login', login);
  router.get('/admin/dingtalk/callback', cookieParser(), login);

  router.get('/admin/dingtalk', signedIn, async (req, res) => {
    const user = req.user as AdminUser;
    if (user.corpId) return res.redirect(303, `/admin/dingtalk/corps/${encodeURIComponent(user.corpId)}`);
    const lang = langOf(req);
    corpsPage(res, lang, await d.corps.list());
  });

  router.post('/admin/dingtalk/corps', toolAdmin, form, async (req, res) => {
    const lang = langOf(req);
    const parsed = CorpForm.safeParse(req.body);
    if (!parsed.success)
      return corpsPage(
        res.status(400),
        lang,
        await d.corps.list(),
        parsed.error.issues.map((i) => i.path.join('.')).join(', '),
      );
    const exists = await d.tenants.exists(parsed.data.tenantId);
    if (!exists) return corpsPage(res.status(400), lang, await d.corps.list(), 'tenantId');
    await d.corps.save(parsed.data);
    res.redirect(303, '/admin/dingtalk');
  });

  router.post('/admin/dingtalk/corps/:corpId/disconnect', toolAdmin, form, async (req, res) => {
    if ((req.body as Record<string, unknown>).confirm !== 'yes')
      return corpsPage(res.status(400), langOf(req), await d.corps.list(), 'confirm');
    await d.corps.remove(String(req.params.corpId));
    res.redirect(303, '/admin/dingtalk');
  });

  const corpFor = async (req: Request, res: Response): Promise<Corp | undefined> => {
    const user = req.user as AdminUser;
    const corpId = String(req.params.corpId);
    // A DingTalk admin sees their own organisation only; asking for another is "not found".
    const corp = !user.corpId || user.corpId === corpId ? await d.corps.get(corpId) : undefined;
    if (!corp) res.status(404).json({ error: 'No such DingTalk organisation.' });
    return corp;
  };

  const corpPage = async (req: Request, res: Response, corp: Corp, message?: string, error = false) => {
    const lang = langOf(req);
    const [lessons, assignments, departments] = await Promise.all([
      d.lessons.published(corp.tenantId),
      d.assignments.list(corp.corpId),
      d.api.subDepartments(corp, 1).catch(() => undefined),
    ]);
    const deptName = new Map((departments ?? []).map((x) => [x.id, x.name]));
    deptName.set(1, t(lang, { en: 'Whole organisation', zh: '全员' }));
    const heading = `${t(lang, { en: 'DingTalk', zh: '钉钉' })}: ${corp.name}`;
    res.type('html').send(
      page(
        lang,
        heading,
        html`${adminNav(lang, '/admin/dingtalk', (req.user as AdminUser).corpId !== undefined)}
          <main>
            <h1>${heading}</h1>
            ${message ? html`<p class="${error ? 'error' : ''}" role="${error ? 'alert' : 'status'}">${message}</p>` : ''}
            <h2>${t(lang, { en: 'Assign a lesson', zh: '分配课程' })}</h2>
            ${
              lessons.length
                ? html`<form method="post" action="/admin/dingtalk/corps/${corp.corpId}/assignments">
                    <label for="lessonId">${t(lang, { en: 'Lesson', zh: '课程' })}</label>
                    <select id="lessonId" name="lessonId" required>
                      ${lessons.map((l) => html`<option value="${l.id}">${l.title}</option>`)}
                    </select>
                    <fieldset>
                      <legend>
                        ${t(lang, { en: 'Departments (with their sub-departments)', zh: '部门（含下级部门）' })}
                      </legend>
                      ${
                        departments
                          ? [
                              { id: 1, name: t(lang, { en: 'Whole organisation', zh: '全员' }) },
                              ...departments,
                            ].map(
                              (dep) =>
                                html`<label
                                  ><input type="checkbox" name="deptIds" value="${dep.id}" />
                                  ${dep.name}</label
                                >`,
                            )
                          : html`<p class="error">
                              ${t(lang, { en: 'DingTalk’s departments could not be read just now.', zh: '暂时无法读取钉钉部门。' })}
                            </p>`
                      }
                    </fieldset>
                    <label for="userids"
                      >${t(lang, { en: 'People (DingTalk user ids, comma separated)', zh: '人员（钉钉 userid，逗号分隔）' })}</label
                    >
                    <textarea id="userids" name="userids" rows="2" cols="60"></textarea>
                    <p>
                      <button type="submit">
                        ${t(lang, { en: 'Assign and notify', zh: '分配并发送工作通知' })}
                      </button>
                    </p>
                  </form>`
                : html`<p role="status">
                    ${t(lang, {
                      en: 'No published lessons yet. Publish one from the LMS (Generate avatar lesson), then assign it here.',
                      zh: '还没有已发布的课程。请先在 LMS 中生成并发布课程，再在此分配。',
                    })}
                  </p>`
            }
            <h2>${t(lang, { en: 'Assignments', zh: '已分配' })}</h2>
            ${
              assignments.length
                ? html`<table>
                    <thead>
                      <tr>
                        <th scope="col">${t(lang, { en: 'Lesson', zh: '课程' })}</th>
                        <th scope="col">${t(lang, { en: 'Assigned to', zh: '分配给' })}</th>
                        <th scope="col">${t(lang, { en: 'People', zh: '人数' })}</th>
                        <th scope="col">${t(lang, { en: 'Notified', zh: '已通知' })}</th>
                        <th scope="col">${t(lang, { en: 'Not delivered', zh: '未送达' })}</th>
                        <th scope="col">${t(lang, { en: 'Completed', zh: '已完成' })}</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${assignments.map(
                        (a) =>
                          html`<tr>
                            <td>${a.title}</td>
                            <td>
                              ${
                                'deptId' in a.target
                                  ? `${t(lang, { en: 'Department', zh: '部门' })} ${deptName.get(a.target.deptId) ?? a.target.deptId}`
                                  : a.target.userid
                              }
                            </td>
                            <td>${a.assignees}</td>
                            <td>${a.notified}</td>
                            <td>${a.failed}</td>
                            <td>${a.completed}</td>
                          </tr>`,
                      )}
                    </tbody>
                  </table>`
                : html`<p>${t(lang, { en: 'Nothing assigned yet.', zh: '尚未分配任何课程。' })}</p>`
            }
            <p>
              <a href="/admin/progress?tenant=${encodeURIComponent(corp.tenantId)}"
                >${t(lang, { en: 'Completion dashboard', zh: '完成情况看板' })}</a
              >
            </p>
          </main>`,
      ),
    );
  };

  router.get('/admin/dingtalk/corps/:corpId', signedIn, async (req, res) => {
    const corp = await corpFor(req, res);
    if (corp) await corpPage(req, res, corp);
  });

  router.post('/admin/dingtalk/corps/:corpId/assignments', signedIn, form, async (req, res) => {
    const corp = await corpFor(req, res);
    if (!corp) return;
    const lang = langOf(req);
    const parsed = AssignForm.safeParse(req.body);
    if (!parsed.success)
      return corpPage(
        req,
        res.status(400),
        corp,
        t(lang, { en: 'Check the form.', zh: '请检查表单。' }),
        true,
      );
    const user = req.user as AdminUser;
    try {
      const r = await d.assignments.assign(corp, {
        ...parsed.data,
        assignedBy: user.corpId ? user.username.slice(`dingtalk:${corp.corpId}:`.length) : user.username,
      });
      await corpPage(
        req,
        res,
        corp,
        t(lang, {
          en: `Assigned: ${r.assignees === 1 ? '1 more person' : `${r.assignees} more people`} reached; their work notices are on the way.`,
          zh: `已分配，新增 ${r.assignees} 人；工作通知正在发送。`,
        }),
      );
    } catch (e) {
      if (!(e instanceof AssignError)) throw e;
      await corpPage(req, res.status(422), corp, e.message, true);
    }
  });
  return router;
}

function refused(res: Response, lang: Lang, why: string): void {
  res
    .status(403)
    .type('html')
    .send(
      page(
        lang,
        t(lang, { en: 'Sign-in refused', zh: '登录被拒绝' }),
        html`<main>
          <h1>${t(lang, { en: 'Sign-in refused', zh: '登录被拒绝' })}</h1>
          <p class="error" role="alert">
            ${t(lang, {
              en: 'DingTalk did not confirm you as an administrator of a connected organisation.',
              zh: '钉钉未确认你是已接入组织的管理员。',
            })}
            (${why})
          </p>
          <p><a href="/admin/login">${t(lang, { en: 'Back to sign-in', zh: '返回登录' })}</a></p>
        </main>`,
      ),
    );
}

function corpsPage(res: Response, lang: Lang, corps: readonly Corp[], invalid?: string): void {
  const heading = t(lang, { en: 'DingTalk organisations', zh: '钉钉组织' });
  const field = (name: string, label: { en: string; zh: string }, type = 'text', required = true) =>
    html`<label for="${name}">${t(lang, label)}</label>
      <input
        id="${name}"
        name="${name}"
        type="${type}"
        ${required ? html`required` : ''}
        autocomplete="off"
      />`;
  res.type('html').send(
    page(
      lang,
      heading,
      html`${adminNav(lang, '/admin/dingtalk')}
        <main>
          <h1>${heading}</h1>
          ${invalid ? html`<p class="error" role="alert">${t(lang, { en: 'Check these fields', zh: '请检查以下字段' })}: ${invalid}</p>` : ''}
          <ul>
            ${corps.map(
              (c) =>
                html`<li>
                  <a href="/admin/dingtalk/corps/${c.corpId}">${c.name}</a> (${c.corpId}, ${c.tenantId})
                  <form method="post" action="/admin/dingtalk/corps/${c.corpId}/disconnect">
                    <label>
                      <input type="checkbox" name="confirm" value="yes" required />
                      ${t(lang, {
                        en: `Disconnect ${c.name}: its assignments and unsent notices are deleted, watch records stay`,
                        zh: `断开 ${c.name}：删除其分配和未发送的通知，保留学习记录`,
                      })}
                    </label>
                    <button type="submit">${t(lang, { en: 'Disconnect', zh: '断开' })}</button>
                  </form>
                </li>`,
            )}
          </ul>
          <h2>${t(lang, { en: 'Connect an organisation', zh: '接入组织' })}</h2>
          <form method="post" action="/admin/dingtalk/corps">
            ${field('corpId', { en: 'CorpId', zh: 'CorpId' })} ${field('name', { en: 'Name', zh: '名称' })}
            ${field('tenantId', { en: 'Tenant (whose lessons it sees)', zh: '租户（可见其课程）' })}
            ${field('appKey', { en: 'AppKey (Client ID)', zh: 'AppKey（Client ID）' })}
            ${field('appSecret', { en: 'AppSecret', zh: 'AppSecret' }, 'password')}
            ${field('agentId', { en: 'AgentId', zh: 'AgentId' })}
            ${field('callbackToken', { en: 'Event subscription token (optional)', zh: '事件订阅 Token（可选）' }, 'text', false)}
            ${field('callbackAesKey', { en: 'Event subscription aes_key (optional)', zh: '事件订阅 aes_key（可选）' }, 'text', false)}
            ${field('adminUserids', { en: 'Admins (DingTalk user ids, comma separated)', zh: '管理员（钉钉 userid，逗号分隔）' }, 'text', false)}
            <p><button type="submit">${t(lang, { en: 'Save', zh: '保存' })}</button></p>
          </form>
        </main>`,
    ),
  );
}
