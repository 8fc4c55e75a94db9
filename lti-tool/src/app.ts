import express from 'express';
import type { Store } from 'express-session';
import helmet from 'helmet';
import type { Redis } from 'ioredis';
import type { LtijsProvider } from 'ltijs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { adminRoutes } from './admin/admin-routes.js';
import type { AdminUsers } from './admin/admin-users.js';
import { LoginGuard } from './admin/login-guard.js';
import { apiAuth } from './api/api-auth.js';
import { assetsRoutes } from './api/assets-routes.js';
import { rendersRoutes } from './api/renders-routes.js';
import type { AssetRepository } from './assets/asset-repository.js';
import type { ToolConfig } from './config.js';
import type { Db } from './db/database.js';
import { mediaRoutes } from './media/media-routes.js';
import type { MediaStore } from './media/media-store.js';
import type { MediaUrls } from './media/media-urls.js';
import type { UrlSigner } from './media/url-signer.js';
import type { FarmMetrics } from './ops/farm-metrics.js';
import { opsRoutes } from './ops/ops-routes.js';
import type { RenderBus } from './renders/render-bus.js';
import type { RenderQueue } from './renders/render-queue.js';
import type { JobRegistry } from './jobs/job-registry.js';
import { ApiError } from './web/api-error.js';
import { errorHandler } from './web/error-handler.js';
import type { RenderRepository } from './renders/render-repository.js';
import type { RenderService } from './renders/render-service.js';
import type { TenantRepository } from './tenants/tenant-repository.js';
import { REPO_ROOT } from './config.js';
import type { LessonLanguages } from './lessons/lesson-languages.js';
import { LanguageVersions } from './lessons/language-versions.js';
import type { LessonRepository } from './lessons/lesson-repository.js';
import { lessonLanguagesRoutes } from './api/lesson-languages-routes.js';
import { launchRoutes } from './lti/launch-routes.js';
import type { LaunchValidator } from './lti/launch-validator.js';
import type { LtiRegistry } from './lti/lti-registry.js';
import type { LtiSessions } from './lti/lti-sessions.js';
import type { CourseContexts } from './lti/course-contexts.js';
import type { PlatformCheck } from './lti/platform-check.js';
import type { EnginePresence } from './renders/engine-presence.js';
import type { FaceFinder, InputChecks } from './media/media-tools.js';
import type { GradeResender } from './grades/grade-delivery.js';
import type { PlatformRegistration } from './lti/platform-registration.js';
import { registrationRoutes } from './lti/registration-routes.js';
import type { RegistrationInvites } from './lti/registration-invites.js';
import { guardLtijs } from './lti/ltijs-guard.js';
import { perAddress, sharedLimit } from './web/rate-limit.js';
import { redactRequest } from './web/log-redaction.js';
import { deepLinkingRoutes } from './lti/deep-linking-routes.js';
import { studioFacesRoutes } from './api/studio-faces-routes.js';
import { lessonQuestionsApiRoutes } from './api/lesson-questions-routes.js';
import { lessonQuestionsRoutes } from './lti/lesson-questions-routes.js';
import { tutorRoutes } from './lti/tutor-routes.js';
import { learnersRoutes } from './api/learners-routes.js';
import type { LearnerErasure } from './learners/learner-erasure.js';
import { answerClipRoutes } from './tutor/answer-clip-routes.js';
import type { AnswerClips } from './tutor/answer-clips.js';
import type { TutorQuestions } from './tutor/tutor-questions.js';
import type { TutorReview } from './tutor/tutor-review.js';
import type { TutorService } from './tutor/tutor-service.js';
import type { QuestionRepository } from './questions/question-repository.js';
import type { AnswerService } from './questions/answer-service.js';
import type { LessonInsightsService } from './progress/lesson-insights.js';
import type { SessionCache } from './lti/session-cache.js';
import { lessonPublishingRoutes } from './api/lesson-publishing-routes.js';
import type { ToolKeys } from './lti/tool-keys.js';
import { LTI_ROUTES } from './lti/lti-provider.js';
import type { ProgressRepository } from './progress/progress-repository.js';
import type { NarrationService } from './narration/narration-service.js';
import { speechRoutes } from './api/speech-routes.js';
import type { RosterService } from './progress/roster-service.js';
import { dashboardRoutes } from './lti/dashboard-routes.js';
import type { DingTalkBridge } from './dingtalk/dingtalk-bridge.js';
import { dingtalkRoutes } from './dingtalk/dingtalk-routes.js';
import { msg } from './messages/messages.js';
import { API_VERSION, openApiDocument, openApiRoutes } from './api/openapi-document.js';
import type { WebhookEndpoints } from './webhooks/webhook-endpoints.js';
import { webhooksRoutes } from './api/webhooks-routes.js';
import { lessonPackagesRoutes } from './api/lesson-packages-routes.js';
import { packageRoutes } from './packages/package-routes.js';
import type { PackageRepository } from './packages/package-repository.js';
import type { WebhookOutbox } from './webhooks/webhook-outbox.js';
import type { WebhookDelivery } from './webhooks/webhook-delivery.js';

export interface AppDeps {
  readonly config: ToolConfig;
  readonly db: Db;
  /** The request path's client: its commands fail at once while Redis is away, never wait for it. */
  readonly redis: Redis;
  readonly log: Logger;
  readonly store: MediaStore;
  readonly signer: UrlSigner;
  readonly urls: MediaUrls;
  readonly tenants: TenantRepository;
  readonly assets: AssetRepository;
  readonly renders: RenderRepository;
  readonly queue: RenderQueue;
  /** Every queue of the product (jobs/queues.ts). */
  readonly jobs: JobRegistry;
  readonly service: RenderService;
  readonly bus: RenderBus;
  readonly metrics: FarmMetrics;
  readonly adminUsers: AdminUsers;
  readonly sessionSecret: Buffer;
  readonly adminSessions: Store;
  readonly lti: LtijsProvider;
  readonly keys: ToolKeys;
  readonly registry: LtiRegistry;
  readonly sessions: LtiSessions;
  readonly contexts: CourseContexts;
  /** The render node's face detector, for the studio's portrait check. */
  readonly findFace: FaceFinder;
  /** The render node's input rules, for uploads. */
  readonly inputChecks: InputChecks;
  /** Which engines an online render node offers. */
  readonly engines: EnginePresence;
  readonly platformCheck: PlatformCheck;
  /** Sends refused scores again (per learner, lesson, course, tenant or platform). */
  readonly grades: GradeResender;
  readonly registration: PlatformRegistration;
  readonly invites: RegistrationInvites;
  readonly validator: LaunchValidator;
  readonly lessons: LessonRepository;
  readonly languages: LessonLanguages;
  readonly progress: ProgressRepository;
  readonly narration: NarrationService;
  readonly roster: RosterService;
  readonly dingtalk: DingTalkBridge;
  readonly questions: QuestionRepository;
  /** One lesson's engagement and question statistics, for the dashboards. */
  readonly insights: LessonInsightsService;
  /** Launch sessions kept a minute in memory, for the learners' busiest endpoints. */
  readonly learnerSessions: SessionCache;
  /** Learners' answers to a lesson's questions, graded on the server. */
  readonly answers: AnswerService;
  /** Lessons exported as SCORM 1.2 or cmi5 packages. */
  readonly packages: PackageRepository;
  /** Tenants' webhook endpoints, their deliveries, and resending one. */
  readonly webhookEndpoints: WebhookEndpoints;
  readonly webhookOutbox: WebhookOutbox;
  /** Ask the tutor: learners' questions answered from the course, and the instructor's review. */
  readonly tutor: TutorService;
  readonly tutorReview: TutorReview;
  readonly tutorQuestions: TutorQuestions;
  readonly answerClips: AnswerClips;
  /** Erases one learner's data across the tables that hold it. */
  readonly learnerErasure: LearnerErasure;
  readonly webhooks: WebhookDelivery;
}

/** The tool's HTTP surface: ops endpoints, signed media, the tenant API and the admin pages. */
export function createApp(d: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(
    pinoHttp({
      logger: d.log,
      autoLogging: { ignore: (req) => req.url === '/healthz' },
      serializers: { req: redactRequest },
    }),
  );
  // Bull Board's UI brings its own scripts and styles; everything else gets a strict policy. Over
  // plain http (development) nothing may be upgraded to https, or the pages' own requests would fail.
  const tls = d.config.VT_SECURE_COOKIES;
  const strict = helmet({
    strictTransportSecurity: tls,
    // CSP frame-ancestors says who may frame us (the launching LMS on LTI pages); X-Frame-Options
    // cannot name another origin, so it is left out rather than contradict it.
    xFrameOptions: false,
    // Not helmet's no-referrer: under it browsers send "Origin: null" with every form post, and the
    // admin pages' same-origin check (our CSRF defence) would refuse their own forms.
    referrerPolicy: { policy: 'same-origin' },
    contentSecurityPolicy: {
      directives: {
        // LTI pages name the launching platform (res.locals.frameAncestors); nothing else may frame us.
        'frame-ancestors': [
          "'self'",
          (_req, res) => (res as express.Response).locals.frameAncestors ?? "'self'",
        ],
        'media-src': ["'self'", 'blob:'],
        // The studio previews the chosen portrait from a blob: URL before uploading it.
        'img-src': ["'self'", 'data:', 'blob:'],
        'upgrade-insecure-requests': tls ? [] : null,
      },
    },
  });
  const board = helmet({ contentSecurityPolicy: false, strictTransportSecurity: tls });
  app.use((req, res, next) => (req.path.startsWith('/admin/queues') ? board : strict)(req, res, next));

  app.use(
    opsRoutes({ db: d.db, redis: d.redis, metrics: d.metrics, metricsToken: d.config.VT_METRICS_TOKEN }),
  );
  const maxUploadBytes = d.config.VT_MAX_UPLOAD_MB * 1024 * 1024;
  app.use(
    mediaRoutes({
      signer: d.signer,
      store: d.store,
      renders: d.renders,
      maxUploadBytes,
      log: d.log,
      accelPrefix: d.config.VT_MEDIA_ACCEL_PREFIX,
    }),
  );
  app.use(
    answerClipRoutes({
      signer: d.signer,
      clips: d.answerClips,
      questions: d.tutorQuestions,
      store: d.store,
      log: d.log,
    }),
  );

  // Images are shown by the LMS on its own pages (the logo on the tool card, course tool list, activity
  // header, grader report): those may be loaded cross-origin. Scripts and styles stay same-origin.
  app.use(
    '/static',
    (req, res, next) => {
      if (/\.(svg|png|jpe?g|ico)$/i.test(req.path))
        res.setHeader('cross-origin-resource-policy', 'cross-origin');
      next();
    },
    express.static(join(REPO_ROOT, 'lti-tool/public'), { maxAge: '1h', index: false }),
  );

  // The API's description is public (it grants nothing); everything else under /api is the caller's.
  app.use(openApiRoutes(openApiDocument(d.config.VT_PUBLIC_URL, API_VERSION)));
  app.use('/api', apiAuth(d.tenants, d.sessions), express.json({ limit: '64kb' }));
  app.use(assetsRoutes({ assets: d.assets, store: d.store, maxUploadBytes, checks: d.inputChecks }));
  app.use(speechRoutes({ narration: d.narration, maxScriptChars: d.config.VT_SCRIPT_MAX_CHARS }));
  app.use(
    rendersRoutes({
      service: d.service,
      renders: d.renders,
      urls: d.urls,
      bus: d.bus,
      narration: d.narration,
      engines: d.engines,
    }),
  );

  app.use(
    lessonPackagesRoutes({ lessons: d.lessons, packages: d.packages, publicUrl: d.config.VT_PUBLIC_URL }),
  );
  app.use(
    webhooksRoutes({
      endpoints: d.webhookEndpoints,
      outbox: d.webhookOutbox,
      delivery: d.webhooks,
      allowPrivate: d.config.VT_ALLOW_PRIVATE_HOSTS,
    }),
  );
  app.use(learnersRoutes({ erasure: d.learnerErasure }));

  // LTI: our checks and pages first, then ltijs (OIDC login, id_token, keyset) under /lti.
  app.use(
    registrationRoutes({
      registration: d.registration,
      invites: d.invites,
      log: d.log,
      // Checked at once, so the admin's platform list says what still blocks grades and publishing.
      onRegistered: (platformId) => d.platformCheck.runSoon(platformId, 'registration'),
      // Each registration costs a key pair and calls to the platform: a handful an hour per address.
      limit: perAddress(
        sharedLimit(d.redis, `${d.config.VT_QUEUE_PREFIX}:limit:register`, { points: 20, durationSec: 3600 }),
        msg.app.tooManyRegistrationAttemptsFrom,
      ),
    }),
  );
  const versions = new LanguageVersions({ languages: d.languages, renders: d.renders, urls: d.urls });
  app.use(
    launchRoutes({
      lti: d.lti,
      validator: d.validator,
      registry: d.registry,
      sessions: d.sessions,
      contexts: d.contexts,
      engines: d.engines,
      lessons: d.lessons,
      renders: d.renders,
      progress: d.progress,
      versions,
      secureCookies: d.config.VT_SECURE_COOKIES,
    }),
  );
  app.use(
    dingtalkRoutes({
      api: d.dingtalk.api,
      corps: d.dingtalk.corps,
      people: d.dingtalk.people,
      events: d.dingtalk.events,
      assignments: d.dingtalk.assignments,
      sessions: d.sessions,
      lessons: d.lessons,
      renders: d.renders,
      progress: d.progress,
      versions,
      jsapiUrl: d.config.VT_DINGTALK_JSAPI_URL,
      secureCookies: d.config.VT_SECURE_COOKIES,
      log: d.log,
    }),
  );
  // Exported packages open the player for the importing LMS's learners (the package token admits them).
  app.use(
    packageRoutes({
      packages: d.packages,
      lessons: d.lessons,
      renders: d.renders,
      sessions: d.sessions,
      progress: d.progress,
      versions,
      limit: perAddress(
        sharedLimit(d.redis, `${d.config.VT_QUEUE_PREFIX}:limit:package-play`, {
          points: 120,
          durationSec: 60,
        }),
        msg.app.tooManyLessonsOpenedFrom,
      ),
    }),
  );
  app.use(
    deepLinkingRoutes({
      keys: d.keys,
      sessions: d.sessions,
      lessons: d.lessons,
      renders: d.renders,
      publicUrl: d.config.VT_PUBLIC_URL,
    }),
  );
  app.use(studioFacesRoutes({ assets: d.assets, store: d.store, findFace: d.findFace }));
  app.use(lessonPublishingRoutes({ lessons: d.lessons }));
  app.use(lessonLanguagesRoutes({ lessons: d.lessons, languages: d.languages }));
  app.use(lessonQuestionsApiRoutes({ lessons: d.lessons, questions: d.questions }));
  app.use(lessonQuestionsRoutes({ sessions: d.learnerSessions, answers: d.answers }));
  app.use(
    tutorRoutes({
      sessions: d.learnerSessions,
      tutor: d.tutor,
      perLearner: sharedLimit(d.redis, `${d.config.VT_QUEUE_PREFIX}:limit:tutor-learner`, {
        points: d.config.VT_TUTOR_QUESTIONS_PER_MINUTE,
        durationSec: 60,
      }),
      perTenant: sharedLimit(d.redis, `${d.config.VT_QUEUE_PREFIX}:limit:tutor-tenant`, {
        points: d.config.VT_TUTOR_TENANT_QUESTIONS_PER_MINUTE,
        durationSec: 60,
      }),
    }),
  );
  app.use(
    dashboardRoutes({
      sessions: d.sessions,
      progress: d.progress,
      roster: d.roster,
      lessons: d.lessons,
      grades: d.grades,
      insights: d.insights,
      tutor: d.tutorReview,
    }),
  );
  // Our keyset, not ltijs's per-platform keys: we sign deep-linking responses and service tokens.
  app.get(`/lti${LTI_ROUTES.keyset}`, (_req, res, next) => {
    d.keys.jwks().then((jwks) => {
      res.set('Cache-Control', 'public, max-age=300').json(jwks);
    }, next);
  });
  app.use('/lti', ...guardLtijs(), d.lti.app);

  app.use(
    adminRoutes({
      db: d.db,
      progress: d.progress,
      insights: d.insights,
      users: d.adminUsers,
      jobs: d.jobs,
      redis: d.redis,
      prefix: d.config.VT_QUEUE_PREFIX,
      sessionSecret: d.sessionSecret,
      sessionStore: d.adminSessions,
      publicUrl: d.config.VT_PUBLIC_URL,
      secureCookies: d.config.VT_SECURE_COOKIES,
      loginGuard: new LoginGuard(d.redis, d.config.VT_QUEUE_PREFIX),
      log: d.log,
      platforms: {
        registration: d.registration,
        registry: d.registry,
        invites: d.invites,
        keys: d.keys,
        check: d.platformCheck,
        grades: d.grades,
        keyGraceHours: d.config.VT_KEY_GRACE_HOURS,
      },
      dingtalk: {
        api: d.dingtalk.api,
        corps: d.dingtalk.corps,
        assignments: d.dingtalk.assignments,
        usage: d.dingtalk.usage,
        lessons: d.lessons,
        tenants: d.tenants,
      },
      packages: d.packages,
      lessons: d.lessons,
      webhooks: {
        endpoints: d.webhookEndpoints,
        outbox: d.webhookOutbox,
        delivery: d.webhooks,
        tenants: d.tenants,
      },
    }),
  );

  app.use((_req, _res, next) => next(ApiError.of('NOT_FOUND', 'Not found.')));
  // Errors get a reference the operator can find in the log; the caller never sees a stack trace.
  app.use(errorHandler());
  return app;
}
