import cookieParser from 'cookie-parser';
import express, { Router, type Request } from 'express';
import passport from 'passport';
import type { Logger } from 'pino';
import { CallbackRejected, openCallback, sealReply } from '../../../adapters/dingtalk/callback-crypto.js';
import type { DingTalkApi } from '../../../adapters/dingtalk/dingtalk-api.js';
import { platformIdOf, type DingTalkIdentity } from '../../../adapters/dingtalk/dingtalk-identity.js';
import { FreeLoginStrategy } from '../../../adapters/dingtalk/free-login-strategy.js';
import { StateCookie } from '../../../adapters/dingtalk/state-cookie.js';
import type { LanguageVersions } from '../lessons/language-versions.js';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import type { LtiSessions } from '../lti/lti-sessions.js';
import { playerPage } from '../lesson-pages/player-page.js';
import type { ProgressRepository } from '../progress/progress-repository.js';
import type { RenderRepository } from '../renders/render-repository.js';
import { langOf } from '../web/i18n.js';
import type { Assignments } from './assignments.js';
import type { CorpRepository } from './corp-repository.js';
import { allowOrigin, freeLoginPage, sendDingTalkError } from './dingtalk-page.js';
import type { DingTalkPeople } from './dingtalk-people.js';
import { CallbackEvents } from './callback-events.js';
import type { DirectoryEvent, DirectoryEvents } from './directory-events.js';
import { signInWithDingTalk } from './dingtalk-sign-in.js';
import { ApiError } from '../web/api-error.js';

export interface DingTalkRoutesDeps {
  readonly api: DingTalkApi;
  readonly corps: CorpRepository;
  readonly people: DingTalkPeople;
  /** Address-book events, from this route and from Stream mode alike. */
  readonly events: DirectoryEvents;
  readonly assignments: Assignments;
  readonly sessions: LtiSessions;
  readonly lessons: LessonRepository;
  readonly renders: RenderRepository;
  readonly progress: ProgressRepository;
  readonly versions: LanguageVersions;
  /** The DingTalk JSAPI script (DingTalk's CDN by default). */
  readonly jsapiUrl: string;
  readonly secureCookies: boolean;
  readonly log: Logger;
}

/**
 * The DingTalk side of the tool: a lesson opened inside DingTalk (free-login, then the same player as
 * an LTI learner's, with progress kept the same way), and DingTalk's event callbacks.
 */
export function dingtalkRoutes(d: DingTalkRoutesDeps): Router {
  const router = Router();
  const auth = new passport.Passport();
  auth.use(new FreeLoginStrategy(d.api, (corpId) => d.corps.get(corpId)));
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  // Double-submit state: a login form posted from anywhere else lacks the cookie.
  const loginState = new StateCookie({
    name: 'vt_dt_login',
    path: '/dingtalk/lessons',
    secure: d.secureCookies,
  });

  router.get('/dingtalk/lessons/:lessonId', async (req, res) => {
    const lang = langOf(req);
    const corpId = String(req.query.corpId ?? '');
    const corp = corpId ? await d.corps.get(corpId) : undefined;
    if (!corp) return sendDingTalkError(req, res, 'UNKNOWN_CORP', corpId);
    const lesson = await d.lessons.inTenant(corp.tenantId, req.params.lessonId);
    if (!lesson?.publishedRenderId) return sendDingTalkError(req, res, 'LESSON_NOT_FOUND');
    const state = loginState.issue(res);
    allowOrigin(res, 'script-src', d.jsapiUrl);
    res
      .set('cache-control', 'no-store')
      .type('html')
      .send(
        freeLoginPage(lang, {
          action: `/dingtalk/lessons/${encodeURIComponent(lesson.id)}/open`,
          corpId: corp.corpId,
          clientId: corp.appKey,
          state,
          jsapiUrl: d.jsapiUrl,
          title: lesson.title,
        }),
      );
  });

  router.post('/dingtalk/lessons/:lessonId/open', cookieParser(), form, (req, res, next) => {
    const body = (req.body ?? {}) as Record<string, string>;
    if (!loginState.take(req, res, String(body.state ?? '')))
      return sendDingTalkError(req, res, 'STATE_MISSING');
    signInWithDingTalk(auth, 'dingtalk-free-login', req, res, next, (who, reason) => {
      if (!who)
        return sendDingTalkError(
          req,
          res,
          reason === 'unknown-corp' ? 'UNKNOWN_CORP' : 'SIGN_IN_FAILED',
          reason,
        );
      void openLesson(req, res, who).catch(next);
    });
  });

  const openLesson = async (req: Request, res: express.Response, who: DingTalkIdentity): Promise<void> => {
    const lang = langOf(req);
    const corp = (await d.corps.get(who.corpId))!;
    const lesson = await d.lessons.inTenant(corp.tenantId, String(req.params.lessonId));
    if (!lesson?.publishedRenderId) return sendDingTalkError(req, res, 'LESSON_NOT_FOUND');
    if (!(await d.assignments.isAssigned(corp.corpId, lesson.id, who)))
      return sendDingTalkError(req, res, 'NOT_ASSIGNED', `${who.corpId}:${who.userid}`);
    const userKey = await d.people.signedIn(who);
    const token = await d.sessions.create({
      tenantId: corp.tenantId,
      platformId: platformIdOf(corp.corpId),
      deploymentId: corp.agentId,
      contextId: lesson.contextId,
      userId: userKey,
      userName: who.name,
      role: 'learner',
      messageType: 'DingTalkFreeLogin',
      lessonId: lesson.id,
      launch: { issuer: 'dingtalk', clientId: corp.appKey, locale: lang === 'zh' ? 'zh-CN' : 'en' },
    });
    const shown = await d.renders.get(lesson.publishedRenderId!, corp.tenantId, lesson.contextId);
    const versions = shown ? await d.versions.of(shown) : [];
    const standing = await d.progress.standing(lesson.id, userKey);
    res
      .set('cache-control', 'no-store')
      .type('html')
      .send(playerPage(lang, { token, role: 'learner', lesson, versions, standing }));
  };

  // DingTalk's event callbacks (event subscription over HTTP): signed, encrypted, answered sealed.
  router.post('/dingtalk/events/:corpId', express.json({ limit: '64kb' }), async (req, res) => {
    const corp = await d.corps.get(req.params.corpId);
    if (!corp?.callback) throw ApiError.of('NOT_FOUND', 'No event subscription here.');
    const q = req.query as Record<string, unknown>;
    let event: DirectoryEvent & { eventId?: string };
    let owner: string;
    const sealed = String((req.body as { encrypt?: unknown } | undefined)?.encrypt ?? '');
    try {
      const opened = openCallback(corp.callback, {
        signature: String(q.msg_signature ?? q.signature ?? ''),
        timestamp: String(q.timestamp ?? q.timeStamp ?? ''),
        nonce: String(q.nonce ?? ''),
        encrypt: sealed,
      });
      owner = opened.owner;
      event = JSON.parse(opened.message) as typeof event;
    } catch (e) {
      const why = e instanceof CallbackRejected ? e.message : 'not JSON';
      d.log.warn({ corpId: corp.corpId, why }, 'DingTalk callback refused');
      throw ApiError.of('FORBIDDEN', `Callback refused: ${why}.`);
    }
    // A replayed callback (genuine, captured, sent again) is answered as DingTalk expects and ignored.
    await d.events.handle(corp, event, CallbackEvents.keyOf(event, sealed), 'http');
    res.json(sealReply(corp.callback, owner, 'success'));
  });

  return router;
}
