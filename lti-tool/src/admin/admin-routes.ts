import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import connectPgSimple from 'connect-pg-simple';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import session, { type Store } from 'express-session';
import type { Redis } from 'ioredis';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { Db } from '../db/database.js';
import { listRenderNodes } from '../ops/render-nodes.js';
import type { JobRegistry } from '../jobs/job-registry.js';
import { backgroundAdmin } from './background-admin.js';
import { apiReferenceAdmin } from './api-reference-admin.js';
import { webhooksAdmin, type WebhooksAdminDeps } from './webhooks-admin.js';
import type { PackageRepository } from '../packages/package-repository.js';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import { dataTable } from '../web/data-table.js';
import { html } from '../web/html.js';
import { langOf, t } from '../web/i18n.js';
import { page } from '../web/page.js';
import { adminPage } from './admin-page.js';
import { platformsAdmin, type PlatformsAdminDeps } from './platforms-admin.js';
import { HashingBusy, type AdminUsers } from './admin-users.js';
import type { LoginGuard } from './login-guard.js';

import { progressAdmin } from './progress-admin.js';
import {
  dingtalkAdmin,
  parseDingTalkAdmin,
  type AdminUser,
  type DingTalkAdminDeps,
} from './dingtalk-admin.js';
import { allowOrigin } from '../dingtalk/dingtalk-page.js';
import type { LessonInsightsService } from '../progress/lesson-insights.js';
import type { ProgressRepository } from '../progress/progress-repository.js';
import { ApiError } from '../web/api-error.js';
import { msg } from '../messages/messages.js';

export interface AdminRoutesDeps {
  readonly progress: ProgressRepository;
  /** One lesson's engagement and question statistics, on the dashboard. */
  readonly insights: LessonInsightsService;
  readonly db: Db;
  readonly users: AdminUsers;
  readonly jobs: JobRegistry;
  readonly redis: Redis;
  readonly prefix: string;
  readonly sessionSecret: Buffer;
  /** Admin sessions in PostgreSQL (adminSessionStore); the server closes it on shutdown. */
  readonly sessionStore: Store;
  readonly publicUrl: string;
  readonly secureCookies: boolean;
  readonly loginGuard: LoginGuard;
  readonly log: Logger;
  readonly platforms: Omit<PlatformsAdminDeps, 'publicUrl'>;
  readonly dingtalk: Omit<DingTalkAdminDeps, 'publicUrl' | 'secureCookies'>;
  readonly webhooks: WebhooksAdminDeps;
  readonly packages: PackageRepository;
  readonly lessons: LessonRepository;
}

/**
 * The operator's pages under /admin, behind a passport login with a session in PostgreSQL: live render
 * nodes, and the queues through Bull Board (waiting, active, failed; retry, remove). The session cookie
 * is SameSite=Strict and state-changing requests must come from our own origin (no cross-site forms).
 */
export function adminRoutes(d: AdminRoutesDeps): Router {
  const auth = new passport.Passport();
  auth.use(
    new LocalStrategy((username, password, done) => {
      d.users.check(username, password).then(
        (user) => done(null, user ? { username: user } : false),
        (e: Error) => done(e),
      );
    }),
  );
  auth.serializeUser((user, done) => done(null, (user as AdminUser).username));
  // A DingTalk admin stays one only while their organisation lists them.
  auth.deserializeUser((username: string, done) => {
    const dt = parseDingTalkAdmin(username);
    const ok = dt
      ? d.dingtalk.corps.get(dt.corpId).then((c) => c?.adminUserids.includes(dt.userid) ?? false)
      : d.users.exists(username);
    ok.then(
      (yes) => done(null, yes ? ({ username, corpId: dt?.corpId } satisfies AdminUser) : false),
      (e: Error) => done(e),
    );
  });

  const router = Router();
  router.use(
    '/admin',
    session({
      name: 'vt_admin',
      secret: d.sessionSecret.toString('base64url'),
      store: d.sessionStore,
      resave: false,
      saveUninitialized: false,
      cookie: {
        httpOnly: true,
        sameSite: 'strict',
        secure: d.secureCookies,
        path: '/admin',
        maxAge: 8 * 3600_000,
      },
    }),
    auth.initialize(),
    auth.session(),
    sameOriginWrites(d.publicUrl),
  );

  // Tool administrators first; "Sign in with DingTalk" only where an organisation is connected (or a
  // DingTalk admin's link names one).
  const sendLogin = async (req: Request, res: Response, status = 200, alert?: string): Promise<void> => {
    const lang = langOf(req);
    const corp = typeof req.query.corp === 'string' ? req.query.corp : '';
    const dingtalk = corp !== '' || (await d.dingtalk.corps.list()).length > 0;
    // "Sign in with DingTalk" is a form whose answer redirects to DingTalk's sign-in page.
    if (dingtalk) allowOrigin(res, 'form-action', d.dingtalk.api.endpoints.login);
    res
      .status(status)
      .type('html')
      .send(
        page(
          lang,
          t(lang, msg.adminRoutes.signIn),
          html`<main>
            <h1>${t(lang, msg.adminRoutes.virtualTutorAdministration)}</h1>
            ${alert ? html`<p class="error" role="alert">${alert}</p>` : ''}
            <h2>${t(lang, msg.adminRoutes.toolAdministrators)}</h2>
            <form method="post" action="/admin/login">
              <label for="username">${t(lang, msg.adminRoutes.userName)}</label>
              <input id="username" name="username" autocomplete="username" required />
              <label for="password">${t(lang, msg.adminRoutes.password)}</label>
              <input id="password" name="password" type="password" autocomplete="current-password" required />
              <p><button type="submit">${t(lang, msg.adminRoutes.signIn)}</button></p>
            </form>
            ${
              dingtalk
                ? html`<h2>${t(lang, msg.adminRoutes.dingtalkOrganisations)}</h2>
                    <form method="get" action="/admin/dingtalk/login">
                      <label for="corp">${t(lang, msg.adminRoutes.dingtalkOrganisationCorpid)}</label>
                      <input id="corp" name="corp" value="${corp}" required />
                      <p>
                        <button type="submit">${t(lang, msg.adminRoutes.signInWithDingtalk)}</button>
                      </p>
                    </form>`
                : ''
            }
          </main>`,
        ),
      );
  };
  router.get(
    '/admin/login',
    (req, res, next) =>
      void sendLogin(
        req,
        res,
        200,
        req.query.failed !== undefined ? t(langOf(req), msg.adminRoutes.wrongUserNameOrPassword) : undefined,
      ).catch(next),
  );
  // Guesses are counted per address and failures per account (LoginGuard); a locked account or a
  // busy address gets the login page back with how long to wait, before any password is hashed.
  router.post('/admin/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res, next) => {
    const lang = langOf(req);
    const username = String((req.body as { username?: unknown } | undefined)?.username ?? '');
    void d.loginGuard
      .attempt(username, req.ip ?? 'unknown')
      .then((locked) => {
        if (locked) {
          const minutes = Math.ceil(locked.waitSec / 60);
          d.log.warn({ event: 'admin-login', username, why: locked.why }, 'sign-in refused: locked out');
          res.setHeader('retry-after', String(locked.waitSec));
          return sendLogin(
            req,
            res,
            429,
            locked.why === 'account'
              ? t(lang, msg.adminRoutes.tooManyFailedSignIns(minutes))
              : t(lang, msg.adminRoutes.tooManySignInAttempts(minutes)),
          );
        }
        auth.authenticate('local', (err: unknown, user: AdminUser | false) => {
          if (err instanceof HashingBusy) {
            res.setHeader('retry-after', '5');
            return void sendLogin(req, res, 503, t(lang, msg.adminRoutes.theSignInIsBusy)).catch(next);
          }
          if (err) return next(err);
          if (!user) {
            d.log.info({ event: 'admin-login', username, ok: false }, 'sign-in failed');
            return void d.loginGuard.failed(username).then(() => res.redirect(303, '/admin/login?failed'));
          }
          d.log.info({ event: 'admin-login', username, ok: true }, 'signed in');
          void d.loginGuard.succeeded(username);
          req.logIn(user, (e) => (e ? next(e) : res.redirect(303, '/admin')));
        })(req, res, next);
      })
      .catch(next);
  });
  router.post('/admin/logout', (req, res, next) =>
    req.logout((e) => (e ? next(e) : req.session.destroy(() => res.redirect(303, '/admin/login')))),
  );

  const signedIn: RequestHandler = (req, res, next) => {
    if (req.isAuthenticated()) return next();
    if (req.accepts(['html', 'json']) === 'json')
      return next(ApiError.of('UNAUTHENTICATED', 'Sign in first.'));
    const corp =
      typeof req.query.corp === 'string' ? `?${new URLSearchParams({ corp: req.query.corp })}` : '';
    res.redirect(303, `/admin/login${corp}`);
  };
  // The farm, the LMS platforms and the queues are the tool admins' alone, not an organisation's.
  const toolAdmin: RequestHandler = (req, res, next) =>
    signedIn(req, res, (err?: unknown) => {
      if (err) return next(err);
      if ((req.user as AdminUser).corpId === undefined) return next();
      next(ApiError.of('FORBIDDEN', 'This page is for the tool’s administrators.'));
    });

  router.get('/admin', toolAdmin, async (req, res) => {
    const lang = langOf(req);
    const nodes = await listRenderNodes(d.redis, d.prefix);
    const heading = t(lang, msg.adminRoutes.renderNodes);
    res.type('html').send(
      adminPage(
        lang,
        { current: '/admin', heading },
        html`<p>${t(lang, msg.adminRoutes.liveNodes(nodes.length))}</p>
          ${dataTable({
            caption: heading,
            rows: nodes,
            columns: [
              { header: t(lang, msg.adminRoutes.node), cell: (n) => n.nodeId },
              { header: t(lang, msg.adminRoutes.host), cell: (n) => n.hostname },
              { header: t(lang, msg.adminRoutes.engines), cell: (n) => n.engines.join(', ') },
              {
                header: 'GPU',
                cell: (n) =>
                  n.gpus.length
                    ? n.gpus.map((g) => `${g.name} (${Math.round(g.memoryTotalMiB / 1024)} GiB)`).join(', ')
                    : 'CPU',
              },
              { header: t(lang, msg.adminRoutes.jobsAtATime), cell: (n) => n.concurrency },
              {
                header: t(lang, msg.adminRoutes.renderingNow),
                cell: (n) => n.currentJobs.join(', ') || '—',
              },
              { header: t(lang, msg.adminRoutes.version), cell: (n) => n.version },
              { header: t(lang, msg.adminRoutes.lastHeartbeat), cell: (n) => n.heartbeatAt },
            ],
          })}`,
        html`<meta http-equiv="refresh" content="5" />`,
      ),
    );
  });

  router.use(platformsAdmin({ ...d.platforms, publicUrl: d.publicUrl }, toolAdmin));
  router.use(
    progressAdmin(
      {
        progress: d.progress,
        corps: d.dingtalk.corps,
        grades: d.platforms.grades,
        insights: d.insights,
        lessons: d.lessons,
        packages: d.packages,
        publicUrl: d.publicUrl,
      },
      signedIn,
    ),
  );
  router.use(
    dingtalkAdmin(
      { ...d.dingtalk, publicUrl: d.publicUrl, secureCookies: d.secureCookies },
      auth,
      signedIn,
      toolAdmin,
    ),
  );

  router.use(backgroundAdmin({ jobs: d.jobs }, toolAdmin));
  router.use(apiReferenceAdmin(toolAdmin));
  router.use(webhooksAdmin(d.webhooks, toolAdmin));
  const board = new ExpressAdapter().setBasePath('/admin/queues');
  createBullBoard({
    queues: d.jobs.all().map((q) => new BullMQAdapter(q)),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'Virtual Tutor queues' } },
  });
  router.use('/admin/queues', toolAdmin, board.getRouter() as RequestHandler);
  return router;
}

/** Refuses a state-changing request whose Origin (or Referer) is not the tool itself. */
function sameOriginWrites(publicUrl: string): RequestHandler {
  const ours = new URL(publicUrl).origin;
  return (req, res, next) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return next();
    // A browser says itself where a request comes from (Fetch Metadata), whatever its referrer policy.
    const site = req.get('sec-fetch-site');
    if (site)
      return site === 'same-origin'
        ? next()
        : next(new ApiError(403, 'CROSS_SITE', 'Cross-site request refused.'));
    const from = req.get('origin') ?? (req.get('referer') && new URL(req.get('referer')!).origin);
    const host = `${req.protocol}://${req.get('host')}`;
    if (from && (from === ours || from === host)) return next();
    next(new ApiError(403, 'CROSS_SITE', 'Cross-site request refused.'));
  };
}

/** The admin session store: sessions in PostgreSQL, expired ones pruned every ~10 minutes. */
export function adminSessionStore(db: Db): Store & { close(): void } {
  const PgStore = connectPgSimple(session);
  return new PgStore({ pool: db, tableName: 'admin_sessions', pruneSessionInterval: 600 });
}
