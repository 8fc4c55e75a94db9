import express, { Router, type Request, type Response } from 'express';
import type { LtijsIdToken, LtijsProvider } from 'ltijs';
import type { LanguageVersions } from '../lessons/language-versions.js';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import type { RenderRepository } from '../renders/render-repository.js';
import { PROBE_COOKIE, probeState, sendNewWindowPage, sendProbe } from './cookie-probe.js';
import { sendLtiError } from './error-page.js';
import { parsedForLtijs } from './ltijs-guard.js';
import { allowPlatform } from './platform-framing.js';
import { LaunchError } from './launch-claims.js';
import type { LaunchValidator, ValidLaunch } from './launch-validator.js';
import { verifiedLaunch, withVerifiedLaunch } from './verified-launch.js';
import { roleOf } from './launch-roles.js';
import type { LtiRegistry } from './lti-registry.js';
import type { LtiSessions } from './lti-sessions.js';
import type { CourseContexts } from './course-contexts.js';
import type { EnginePresence } from '../renders/engine-presence.js';
import { playerPage } from '../lesson-pages/player-page.js';
import { studioPage } from '../lesson-pages/studio-page.js';
import { langOf } from '../web/i18n.js';

import type { ProgressRepository } from '../progress/progress-repository.js';

export interface LaunchRoutesDeps {
  readonly lti: LtijsProvider;
  readonly validator: LaunchValidator;
  readonly registry: LtiRegistry;
  readonly sessions: LtiSessions;
  readonly contexts: CourseContexts;
  readonly engines: EnginePresence;
  readonly lessons: LessonRepository;
  readonly renders: RenderRepository;
  readonly progress: ProgressRepository;
  readonly versions: LanguageVersions;
  readonly secureCookies: boolean;
}

/** Reads one cookie's presence from the header (ltijs verifies its signature itself). */
const hasCookie = (req: Request, name: string): boolean =>
  (req.headers.cookie ?? '').split(';').some((c) => c.trim().startsWith(`${encodeURIComponent(name)}=`));

/**
 * The launch: OIDC login initiation and the id_token POST go through our checks first (complete LTI
 * 1.3 validation, bilingual error pages), then through ltijs; ltijs's launch callbacks open a session
 * and show the studio (deep linking, instructors) or the player (resource links).
 */
export function launchRoutes(d: LaunchRoutesDeps): Router {
  const router = Router();
  const form = parsedForLtijs(express.urlencoded({ extended: false, limit: '64kb' }));

  router.all('/lti/login', form, async (req, res, next) => {
    const p = {
      ...(req.query as Record<string, unknown>),
      ...((req.body ?? {}) as Record<string, unknown>),
    };
    if (!p.iss || !p.login_hint || !p.target_link_uri)
      return sendLtiError(req, res, 'LOGIN_PARAMETERS', JSON.stringify(Object.keys(p)));
    const params = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, String(v)]));
    const state = probeState(req, params, hasCookie(req, PROBE_COOKIE));
    if (state === 'go-on') return next();
    if (state === 'probe') return sendProbe(res, params, d.secureCookies);
    // The platform frames this page; an unregistered issuer gets no say in framing.
    const known = await d.registry.platformByClient(params.iss!, params.client_id ? [params.client_id] : []);
    if (known) allowPlatform(res, known.issuer);
    sendNewWindowPage(req, res, params);
  });

  router.post('/lti/launch', form, async (req, res, next) => {
    const body = (req.body ?? {}) as Record<string, string>;
    if (!body.id_token) return next(); // ltijs answers a request without one
    if (!body.state || !hasCookie(req, `state${body.state}`)) {
      // A stale or replayed token says so first; the cookie advice is for a fresh, unused one.
      try {
        await d.validator.validate(body.id_token, { spendNonce: false });
      } catch (e) {
        if (e instanceof LaunchError) return sendLtiError(req, res, e.problem, e.message);
        throw e;
      }
      return sendLtiError(req, res, 'STATE_MISSING', 'no state, or its cookie did not come back');
    }
    let valid: ValidLaunch;
    try {
      valid = await d.validator.validate(body.id_token);
    } catch (e) {
      if (e instanceof LaunchError) return sendLtiError(req, res, e.problem, e.message);
      throw e;
    }
    withVerifiedLaunch({ ...valid, idToken: body.id_token }, next);
  });

  const launched = async (token: LtijsIdToken, req: Request, res: Response): Promise<void> => {
    const ctx = token.platformContext;
    // Checked by our validator a moment ago, in this request: ltijs takes no token it did not verify
    // (lti-provider.ts), so a launch without one cannot reach here; refused all the same if it did.
    const deployment = verifiedLaunch();
    if (!deployment) return sendLtiError(req, res, 'UNKNOWN_DEPLOYMENT', token.deploymentId);
    const role = roleOf(ctx.roles ?? []);
    const contextId = ctx.context?.id ?? `resource:${ctx.resource?.id ?? 'none'}`;
    const deepLinking = ctx.messageType === 'LtiDeepLinkingRequest';
    if (deepLinking && role !== 'instructor')
      return sendLtiError(req, res, 'LEARNER_NOT_ALLOWED', `sub ${token.user} tried deep linking`);
    const lessonId = deepLinking ? undefined : ctx.custom?.lesson_id;
    const lesson = lessonId ? await d.lessons.get(deployment.tenantId, contextId, lessonId) : undefined;
    if (!deepLinking && !lesson)
      return sendLtiError(req, res, 'LESSON_NOT_FOUND', `lesson ${lessonId ?? '(none)'} in ${contextId}`);

    const session = {
      tenantId: deployment.tenantId,
      platformId: deployment.platformId,
      deploymentId: token.deploymentId,
      contextId,
      userId: token.user,
      userName: token.userInfo?.name,
      role,
      messageType: ctx.messageType as 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest',
      resourceLinkId: ctx.resource?.id,
      lessonId: lesson?.id,
      launch: {
        issuer: token.iss,
        clientId: token.clientId,
        locale: ctx.launchPresentation?.locale,
        returnUrl: ctx.launchPresentation?.return_url,
        deepLinking: ctx.deepLinkingSettings,
        ags: ctx.endpoint,
        nrps: ctx.namesRoles,
      },
    };
    const sessionToken = await d.sessions.create(session);
    if (ctx.context?.id)
      await d.contexts.seen({
        tenantId: deployment.tenantId,
        contextId,
        platformId: deployment.platformId,
        title: ctx.context.title,
        label: ctx.context.label,
        membershipsUrl: (ctx.namesRoles as { context_memberships_url?: string } | undefined)
          ?.context_memberships_url,
      });
    req.log?.info(
      {
        event: 'launch',
        role,
        messageType: session.messageType,
        tenantId: session.tenantId,
        platformId: session.platformId,
        contextId,
        lessonId: session.lessonId,
        userId: token.user,
      },
      'launch',
    );
    // The LMS may frame these pages; nobody else may.
    allowPlatform(res, token.iss);
    const lang = (ctx.launchPresentation?.locale ?? '').startsWith('zh') ? 'zh' : langOf(req);
    if (deepLinking) {
      const lessons = await d.lessons.listForContext(deployment.tenantId, contextId);
      return void res.type('html').send(
        studioPage(lang, {
          token: sessionToken,
          context: ctx.context,
          lessons,
          online: await d.engines.online(),
        }),
      );
    }
    const renderId =
      lesson!.publishedRenderId ?? (role === 'instructor' ? lesson!.latestDoneRenderId : undefined);
    const shown = renderId ? await d.renders.get(renderId, deployment.tenantId, contextId) : undefined;
    // The lesson in each language it has: the shown version, then its language versions (dubs).
    const versions = shown ? await d.versions.of(shown) : [];
    // Instructors may edit and re-render: from the latest render's presenter, voice and settings,
    // unless that render is a language version (then from the shown one).
    const latest =
      role === 'instructor' && lesson!.latest
        ? await d.renders.get(lesson!.latest.id, deployment.tenantId, contextId)
        : undefined;
    const base = latest && shown && latest.narration?.language !== shown.narration?.language ? shown : latest;
    const standing = role === 'learner' ? await d.progress.standing(lesson!.id, token.user) : undefined;
    res.type('html').send(
      playerPage(lang, {
        token: sessionToken,
        role,
        standing,
        lesson: lesson!,
        versions,
        edit: base && {
          portrait: base.portraitSha256,
          audio: base.audioSha256,
          prompt: base.settings.prompt ?? '',
          engine: base.engine,
          size: base.settings.size,
          online: await d.engines.online(),
        },
      }),
    );
  };
  d.lti.onConnect((token, req, res) =>
    launched(token, req, res).catch((e: Error) => sendLtiError(req, res, 'SESSION_EXPIRED', e.message)),
  );
  d.lti.onDeepLinking((token, req, res) =>
    launched(token, req, res).catch((e: Error) => sendLtiError(req, res, 'SESSION_EXPIRED', e.message)),
  );
  d.lti.onInvalidToken((req, res) => {
    const err = res.locals.err as { details?: { message?: string } } | undefined;
    const message = err?.details?.message ?? 'invalid';
    sendLtiError(
      req,
      res,
      message === 'MISSING_VALIDATION_COOKIE' ? 'STATE_MISSING' : 'BAD_SIGNATURE',
      message,
    );
  });
  d.lti.onSessionTimeout((req, res) => sendLtiError(req, res, 'SESSION_EXPIRED', 'ltik session not found'));
  d.lti.onUnregisteredPlatform((req, res) => sendLtiError(req, res, 'UNREGISTERED_PLATFORM', 'ltijs'));
  d.lti.onInactivePlatform((req, res) => sendLtiError(req, res, 'PLATFORM_INACTIVE', 'ltijs'));
  return router;
}
