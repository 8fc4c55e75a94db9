import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { LtiRegistry } from '../lti/lti-registry.js';
import { RegistrationError } from '../lti/platform-registration.js';
import {
  INVITE_HOURS,
  type RegistrationInvite,
  type RegistrationInvites,
} from '../lti/registration-invites.js';
import { toolValues, type PlatformRegistration } from '../lti/platform-registration.js';
import type { ToolKeys } from '../lti/tool-keys.js';
import { dataTable } from '../web/data-table.js';
import { html } from '../web/html.js';
import { langOf, t, type Lang } from '../web/i18n.js';
import { page } from '../web/page.js';
import { adminNav } from './admin-nav.js';
import { ApiError } from '../web/api-error.js';
import type { PlatformCheck } from '../lti/platform-check.js';
import type { GradeResender } from '../grades/grade-delivery.js';
import { platformCheckCell, refusedGradesCell } from './platform-check-view.js';

export interface PlatformsAdminDeps {
  readonly registration: PlatformRegistration;
  readonly registry: LtiRegistry;
  readonly invites: RegistrationInvites;
  readonly keys: ToolKeys;
  readonly publicUrl: string;
  readonly keyGraceHours: number;
  readonly check: PlatformCheck;
  readonly grades: GradeResender;
}

const ManualForm = z.object({
  name: z.string().trim().min(1).max(200),
  issuer: z.url().max(500),
  clientId: z.string().trim().min(1).max(500),
  authLoginUrl: z.url().max(1000),
  tokenUrl: z.url().max(1000),
  keysetUrl: z.url().max(1000),
  deploymentIds: z
    .string()
    .transform((s) => [...new Set(s.split(/[\s,]+/).filter(Boolean))])
    .pipe(z.array(z.string().max(255)).min(1)),
});
type ManualFormValues = Partial<Record<keyof z.input<typeof ManualForm>, string>>;

const FIELDS: readonly { name: keyof ManualFormValues; label: { en: string; zh: string }; hint?: string }[] =
  [
    { name: 'name', label: { en: 'Name', zh: '名称' }, hint: 'Moodle (HR)' },
    {
      name: 'issuer',
      label: { en: 'Platform ID (issuer)', zh: '平台 ID（issuer）' },
      hint: 'https://moodle.example.com',
    },
    { name: 'clientId', label: { en: 'Client ID', zh: '客户端 ID' } },
    {
      name: 'authLoginUrl',
      label: { en: 'Authentication request URL', zh: '认证请求 URL' },
      hint: 'https://moodle.example.com/mod/lti/auth.php',
    },
    {
      name: 'tokenUrl',
      label: { en: 'Access token URL', zh: '访问令牌 URL' },
      hint: 'https://moodle.example.com/mod/lti/token.php',
    },
    {
      name: 'keysetUrl',
      label: { en: 'Public keyset URL', zh: '公钥集 URL' },
      hint: 'https://moodle.example.com/mod/lti/certs.php',
    },
    {
      name: 'deploymentIds',
      label: { en: 'Deployment ID(s), comma separated', zh: '部署 ID（多个以逗号分隔）' },
    },
  ];

/**
 * /admin/platforms: the LMSs registered with this tool, registering one by hand (for LMSs without
 * Dynamic Registration), the values to type into the LMS, and the tool's signing keys with rotation.
 * Mounted behind the admin login and its same-origin check for writes.
 */
export function platformsAdmin(d: PlatformsAdminDeps, signedIn: RequestHandler): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '16kb' });

  const show = async (
    req: Request,
    res: Response,
    status = 200,
    error?: string,
    values: ManualFormValues = {},
    invite?: RegistrationInvite,
  ) => {
    const lang = langOf(req);
    res
      .status(status)
      .type('html')
      .send(await platformsPage(d, lang, { error, values, invite, notice: noticeOf(req, lang) }));
  };

  router.get('/admin/platforms', signedIn, (req, res, next) => void show(req, res).catch(next));

  router.post('/admin/platforms', signedIn, form, (req, res, next) => {
    const values = req.body as ManualFormValues;
    const parsed = ManualForm.safeParse(values);
    const lang = langOf(req);
    if (!parsed.success) {
      const field = FIELDS.find((f) => f.name === parsed.error.issues[0]?.path[0]);
      const what = field ? t(lang, field.label) : '';
      return void show(
        req,
        res,
        400,
        t(lang, { en: `Check “${what}”: it is missing or not valid.`, zh: `请检查“${what}”：缺失或无效。` }),
        values,
      ).catch(next);
    }
    const p = parsed.data;
    d.registry
      .platformByClient(p.issuer, [p.clientId])
      .then(async (existing) => {
        if (existing)
          return show(
            req,
            res,
            409,
            t(lang, {
              en: 'This platform and client ID are already registered.',
              zh: '该平台和客户端 ID 已经注册。',
            }),
            values,
          );
        const platformId = await d.registration.addManually(p);
        // The LMS was set up first (it gave the client ID): check the connection now, in the
        // background (an unreachable LMS takes its timeouts); the list shows the result.
        d.check.runSoon(platformId, adminOf(req));
        res.redirect(303, `/admin/platforms?added=${encodeURIComponent(p.issuer)}`);
      })
      .catch((e: unknown) =>
        e instanceof RegistrationError ? show(req, res, 400, e.message, values) : next(e),
      );
  });

  // A one-time registration URL, shown on this answer only (it is never stored, only its hash).
  router.post('/admin/platforms/invites', signedIn, (req, res, next) => {
    const by = (req.user as { username?: string } | undefined)?.username ?? 'admin';
    d.invites
      .mint(by, INVITE_HOURS)
      .then((invite) => show(req, res, 201, undefined, {}, invite))
      .catch(next);
  });

  router.post('/admin/platforms/:id/check', signedIn, (req, res, next) => {
    d.check.run(String(req.params.id), adminOf(req)).then((result) => {
      if (!result) return next(ApiError.of('NOT_FOUND', 'No such platform.'));
      res.redirect(
        303,
        `/admin/platforms?checked=${result.passed ? 'passed' : 'failed'}${result.resent ? `&resent=${result.resent}` : ''}`,
      );
    }, next);
  });

  router.post('/admin/platforms/:id/resend', signedIn, (req, res, next) => {
    d.grades
      .resend({ platformId: String(req.params.id) }, adminOf(req))
      .then((n) => res.redirect(303, `/admin/platforms?resent=${n}`), next);
  });

  router.post('/admin/keys/rotate', signedIn, (_req, res, next) => {
    d.keys.rotate().then((r) => res.redirect(303, `/admin/platforms?rotated=${r.kid}`), next);
  });
  return router;
}

const adminOf = (req: Request): string =>
  (req.user as { username?: string } | undefined)?.username ?? 'admin';

function noticeOf(req: Request, lang: Lang): string | undefined {
  const resent = Number(req.query.resent ?? 0);
  const again = resent
    ? t(lang, {
        en: ` ${resent} refused grade(s) sent again.`,
        zh: ` 已重新发送 ${resent} 条被拒绝的成绩。`,
      })
    : '';
  if (req.query.checked === 'passed')
    return t(lang, { en: 'The connection check passed.', zh: '连接检查通过。' }) + again;
  if (req.query.checked === 'failed')
    return t(lang, {
      en: 'The connection check found a problem: see the platform’s steps below.',
      zh: '连接检查发现问题：请查看下方该平台的各步骤。',
    });
  if (req.query.resent !== undefined)
    return again.trim() || t(lang, { en: 'No refused grades to send.', zh: '没有被拒绝的成绩需要发送。' });
  const added = req.query.added;
  if (typeof added === 'string')
    return t(lang, {
      en: `Registered ${added}. Its connection is being checked: reload this page in a moment to see the result.`,
      zh: `已注册 ${added}。正在检查其连接：稍后刷新本页查看结果。`,
    });
  const rotated = req.query.rotated;
  if (typeof rotated === 'string')
    return t(lang, {
      en: `New signing key ${rotated} is active; the previous one stays published during its grace period.`,
      zh: `新签名密钥 ${rotated} 已启用；旧密钥在宽限期内仍会发布。`,
    });
  return undefined;
}

async function platformsPage(
  d: PlatformsAdminDeps,
  lang: Lang,
  o: { error?: string; notice?: string; values: ManualFormValues; invite?: RegistrationInvite },
): Promise<string> {
  const [platforms, keys, invites, checks, refused] = await Promise.all([
    d.registry.list(),
    d.keys.list(),
    d.invites.recent(),
    d.check.latest(),
    d.grades.failedByPlatform(),
  ]);
  const heading = t(lang, { en: 'LMS platforms', zh: 'LMS 平台' });
  return page(
    lang,
    heading,
    html`${adminNav(lang, '/admin/platforms')}
      <main>
        <h1>${heading}</h1>
        ${o.notice ? html`<p role="status">${o.notice}</p>` : ''}
        ${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
        ${dataTable({
          caption: heading,
          rows: platforms,
          rowData: (p) => ({ platform: p.id }),
          empty: t(lang, { en: 'None yet.', zh: '暂无。' }),
          columns: [
            { header: t(lang, { en: 'Name', zh: '名称' }), cell: (p) => p.name },
            { header: t(lang, { en: 'Issuer', zh: '发行方' }), cell: (p) => p.issuer },
            { header: t(lang, { en: 'Client ID', zh: '客户端 ID' }), cell: (p) => p.clientId },
            {
              header: t(lang, { en: 'Registered', zh: '注册方式' }),
              cell: (p) =>
                p.registeredVia === 'dynamic'
                  ? t(lang, { en: 'dynamic', zh: '动态注册' })
                  : t(lang, { en: 'by hand', zh: '手动' }),
            },
            {
              header: t(lang, { en: 'Deployments', zh: '部署' }),
              cell: (p) => p.deploymentIds.join(', ') || '—',
            },
            {
              header: t(lang, { en: 'Connection', zh: '连接' }),
              cell: (p) => platformCheckCell(lang, p.id, checks.get(p.id)),
            },
            {
              header: t(lang, { en: 'Refused grades', zh: '被拒绝的成绩' }),
              cell: (p) => refusedGradesCell(lang, p.id, refused.get(p.id) ?? 0),
            },
          ],
        })}

        <h2>${t(lang, { en: 'Registration URLs', zh: '注册 URL' })}</h2>
        <p>
          ${t(lang, {
            en: `Moodle 4.1+: create a registration URL, paste it into “Tool URL” (Site administration → Plugins → Activities → External tool → Manage tools) and click “Add LTI Advantage”. Each URL registers one platform, once, within ${INVITE_HOURS} h.`,
            zh: `Moodle 4.1 及以上：创建一个注册 URL，粘贴到“工具 URL”（网站管理 → 插件 → 活动 → 外部工具 → 管理工具），然后点击“添加 LTI Advantage”。每个 URL 只能在 ${INVITE_HOURS} 小时内注册一个平台一次。`,
          })}
        </p>
        ${
          o.invite
            ? html`<p role="status">
                ${t(lang, {
                  en: 'New registration URL (shown only now; copy it):',
                  zh: '新的注册 URL（仅显示这一次，请复制）：',
                })}
                <code id="registration-url">${o.invite.url}</code>
                · ${t(lang, { en: 'expires', zh: '过期时间' })} ${o.invite.expiresAt.toISOString()}
              </p>`
            : ''
        }
        <form method="post" action="/admin/platforms/invites">
          <p>
            <button type="submit">${t(lang, { en: 'Create registration URL', zh: '创建注册 URL' })}</button>
          </p>
        </form>
        ${
          invites.length
            ? dataTable({
                caption: t(lang, { en: 'Recent registration URLs', zh: '最近的注册 URL' }),
                rows: invites,
                columns: [
                  {
                    header: t(lang, { en: 'Created', zh: '创建时间' }),
                    cell: (i) => i.createdAt.toISOString(),
                  },
                  { header: t(lang, { en: 'By', zh: '创建者' }), cell: (i) => i.createdBy },
                  {
                    header: t(lang, { en: 'State', zh: '状态' }),
                    cell: (i) =>
                      i.usedAt
                        ? t(lang, {
                            en: `used ${i.usedAt.toISOString()}`,
                            zh: `已于 ${i.usedAt.toISOString()} 使用`,
                          })
                        : i.expiresAt < new Date()
                          ? t(lang, { en: 'expired', zh: '已过期' })
                          : t(lang, {
                              en: `open until ${i.expiresAt.toISOString()}`,
                              zh: `有效期至 ${i.expiresAt.toISOString()}`,
                            }),
                  },
                ],
              })
            : ''
        }

        <h2>${t(lang, { en: 'Values for the LMS', zh: '在 LMS 中填写的值' })}</h2>
        <p>
          ${t(lang, {
            en: 'For an LMS without dynamic registration: type these in by hand, then register the platform below.',
            zh: '对于不支持动态注册的 LMS：请手动填写以下各值，再在下方注册该平台。',
          })}
        </p>
        <dl>
          ${Object.entries(toolValues(d.publicUrl)).map(
            ([k, v]) =>
              html`<dt>${k}</dt>
                <dd><code>${v}</code></dd>`,
          )}
        </dl>

        <h2>${t(lang, { en: 'Register a platform by hand', zh: '手动注册平台' })}</h2>
        <form method="post" action="/admin/platforms">
          ${FIELDS.map(
            (f) =>
              html`<label for="f-${f.name}">${t(lang, f.label)}</label>
                <input
                  id="f-${f.name}"
                  name="${f.name}"
                  required
                  value="${o.values[f.name] ?? ''}"
                  ${f.hint ? html`placeholder="${f.hint}"` : ''}
                />`,
          )}
          <p><button type="submit">${t(lang, { en: 'Register', zh: '注册' })}</button></p>
        </form>

        <h2>${t(lang, { en: 'Signing keys', zh: '签名密钥' })}</h2>
        <p>
          ${t(lang, {
            en: `Published at ${d.publicUrl}/lti/keys. A rotated-out key stays published for ${d.keyGraceHours} h.`,
            zh: `发布于 ${d.publicUrl}/lti/keys。轮换下来的密钥会继续发布 ${d.keyGraceHours} 小时。`,
          })}
        </p>
        ${dataTable({
          caption: t(lang, { en: 'Signing keys', zh: '签名密钥' }),
          rows: keys,
          columns: [
            { header: 'kid', cell: (k) => html`<code>${k.kid}</code>` },
            { header: t(lang, { en: 'Created', zh: '创建时间' }), cell: (k) => k.createdAt.toISOString() },
            {
              header: t(lang, { en: 'State', zh: '状态' }),
              cell: (k) =>
                k.retiredAt
                  ? t(lang, {
                      en: `retired ${k.retiredAt.toISOString()}${k.published ? ', still published' : ''}`,
                      zh: `已于 ${k.retiredAt.toISOString()} 停用${k.published ? '，仍在发布' : ''}`,
                    })
                  : t(lang, { en: 'active', zh: '使用中' }),
            },
          ],
        })}
        <form method="post" action="/admin/keys/rotate">
          <p><button type="submit">${t(lang, { en: 'Rotate signing key', zh: '轮换签名密钥' })}</button></p>
        </form>
      </main>`,
  );
}
