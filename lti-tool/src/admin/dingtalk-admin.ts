import cookieParser from 'cookie-parser';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type passport from 'passport';
import { z } from 'zod';
import type { DingTalkApi } from '../../../adapters/dingtalk/dingtalk-api.js';
import { WebLoginStrategy } from '../../../adapters/dingtalk/web-login-strategy.js';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import type { TenantRepository } from '../tenants/tenant-repository.js';
import { langOf, t } from '../web/i18n.js';
import { AssignError, type Assignments } from '../dingtalk/assignments.js';
import { corpPage, corpsPage, signedInPage, signInRefusedPage } from '../dingtalk/dingtalk-admin-pages.js';
import type { Corp, CorpRepository } from '../dingtalk/corp-repository.js';
import type { ApiUsage } from '../dingtalk/api-usage.js';
import { signInWithDingTalk } from '../dingtalk/dingtalk-sign-in.js';
import { ApiError } from '../web/api-error.js';
import { msg } from '../messages/messages.js';
import { fieldsOf } from '../../../common/zod-problems.js';
import { CorpParams } from '../web/request-schemas.js';
import { validate, validOf } from '../web/validate.js';

export interface DingTalkAdminDeps {
  readonly api: DingTalkApi;
  readonly corps: CorpRepository;
  readonly assignments: Assignments;
  /** Each organisation's month of calls against DingTalk's quota, shown on its page. */
  readonly usage: ApiUsage;
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

/** An organisation named in the URL: its CorpId's shape is checked at the door. */
const corpParams = validate({ params: CorpParams });
const corpIdOf = (res: Response): string => validOf<unknown, unknown, { corpId: string }>(res).params.corpId;

/** DingTalk user ids typed into a field, separated by commas or spaces; each once. */
const idList = (s: string | undefined): string[] => [...new Set((s ?? '').split(/[\s,]+/).filter(Boolean))];

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
  adminUserids: z.string().transform(idList),
  eventChannel: z.enum(['stream', 'http']).default('stream'),
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
    .transform(idList)
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
    signInWithDingTalk(auth, 'dingtalk-web-login', req, res, next, (who, reason) => {
      const lang = langOf(req);
      if (!who)
        return void res
          .status(403)
          .type('html')
          .send(signInRefusedPage(lang, reason ?? 'refused'));
      void d.corps.get(who.corpId).then((corp) => {
        if (!corp?.adminUserids.includes(who.userid))
          return void res.status(403).type('html').send(signInRefusedPage(lang, 'not-an-admin'));
        const user: AdminUser = { username: dingtalkAdminName(corp.corpId, who.userid), corpId: corp.corpId };
        req.login(user, (e) => {
          if (e) return next(e);
          res
            .type('html')
            .send(signedInPage(lang, `/admin/dingtalk/corps/${encodeURIComponent(corp.corpId)}`));
        });
      }, next);
    });
  router.get('/admin/dingtalk/login', login);
  router.get('/admin/dingtalk/callback', cookieParser(), login);

  router.get('/admin/dingtalk', signedIn, async (req, res) => {
    const user = req.user as AdminUser;
    if (user.corpId) return res.redirect(303, `/admin/dingtalk/corps/${encodeURIComponent(user.corpId)}`);
    res.type('html').send(corpsPage(langOf(req), await d.corps.list()));
  });

  // A refused form comes back with the fields to check (never the secret typed into it).
  const invalidCorp = async (req: Request, res: Response, fields: string): Promise<void> =>
    void res
      .status(400)
      .type('html')
      .send(corpsPage(langOf(req), await d.corps.list(), fields));

  router.post('/admin/dingtalk/corps', toolAdmin, form, async (req, res) => {
    const parsed = CorpForm.safeParse(req.body);
    if (!parsed.success) return invalidCorp(req, res, fieldsOf(parsed.error).join(', '));
    if (!(await d.tenants.exists(parsed.data.tenantId))) return invalidCorp(req, res, 'tenantId');
    await d.corps.save(parsed.data);
    res.redirect(303, '/admin/dingtalk');
  });

  router.post('/admin/dingtalk/corps/:corpId/disconnect', toolAdmin, form, corpParams, async (req, res) => {
    if ((req.body as Record<string, unknown>).confirm !== 'yes') return invalidCorp(req, res, 'confirm');
    await d.corps.remove(corpIdOf(res));
    res.redirect(303, '/admin/dingtalk');
  });

  const corpFor = async (req: Request, res: Response): Promise<Corp> => {
    const user = req.user as AdminUser;
    const corpId = corpIdOf(res);
    // A DingTalk admin sees their own organisation only; asking for another is "not found".
    const corp = !user.corpId || user.corpId === corpId ? await d.corps.get(corpId) : undefined;
    if (!corp) throw ApiError.of('NOT_FOUND', 'No such DingTalk organisation.');
    return corp;
  };

  const sendCorpPage = async (req: Request, res: Response, corp: Corp, message?: string, error = false) => {
    const [lessons, assignments, departments, usage] = await Promise.all([
      d.lessons.published(corp.tenantId),
      d.assignments.list(corp.corpId),
      d.api.subDepartments(corp, 1).catch(() => undefined),
      d.usage.of(corp.corpId),
    ]);
    const scoped = (req.user as AdminUser).corpId !== undefined;
    res
      .type('html')
      .send(
        corpPage(langOf(req), { corp, scoped, lessons, assignments, departments, usage, message, error }),
      );
  };

  router.get('/admin/dingtalk/corps/:corpId', signedIn, corpParams, async (req, res) => {
    await sendCorpPage(req, res, await corpFor(req, res));
  });

  router.post('/admin/dingtalk/corps/:corpId/assignments', signedIn, form, corpParams, async (req, res) => {
    const corp = await corpFor(req, res);
    const lang = langOf(req);
    const parsed = AssignForm.safeParse(req.body);
    if (!parsed.success)
      return sendCorpPage(req, res.status(400), corp, t(lang, msg.dingtalkAdmin.checkTheForm), true);
    const user = req.user as AdminUser;
    try {
      const r = await d.assignments.assign(corp, {
        ...parsed.data,
        assignedBy: parseDingTalkAdmin(user.username)?.userid ?? user.username,
      });
      await sendCorpPage(
        req,
        res,
        corp,
        t(lang, msg.dingtalkAdmin.assignedReachedTheirWorkNotices(r.assignees)),
      );
    } catch (e) {
      if (!(e instanceof AssignError)) throw e;
      await sendCorpPage(req, res.status(422), corp, e.message, true);
    }
  });
  return router;
}
