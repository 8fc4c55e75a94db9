import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino, type DestinationStream, type Logger } from 'pino';
import { adminSessionStore } from './admin/admin-routes.js';
import { AdminUsers } from './admin/admin-users.js';
import { createApp } from './app.js';
import { AssetRepository } from './assets/asset-repository.js';
import type { ToolConfig } from './config.js';
import { migrate, openDatabase, type Db } from './db/database.js';
import { toolSecret } from './db/tool-secrets.js';
import { MediaStore } from './media/media-store.js';
import { MediaUrls } from './media/media-urls.js';
import { UrlSigner } from './media/url-signer.js';
import { FarmMetrics } from './ops/farm-metrics.js';
import { followFarmEvents } from './renders/farm-events.js';
import { RenderBus } from './renders/render-bus.js';
import { RenderQueue } from './renders/render-queue.js';
import { RenderReconciler } from './renders/render-reconciler.js';
import { listRenderNodes } from './ops/render-nodes.js';
import { EnginePresence } from './renders/engine-presence.js';
// The render node's media code, handed to the web tool through interfaces (media/media-tools.ts).
import { detectFace } from '../../render-node/src/engines/preview/face/face-detector.js';
import { audioDemuxer, decodeAudio } from '../../render-node/src/media/ffmpeg.js';
import { checkImageSize } from '../../render-node/src/media/image-limits.js';
import { JobRegistry } from './jobs/job-registry.js';
import { routeTable, type RouteEntry } from './web/route-table.js';
import { RenderRepository } from './renders/render-repository.js';
import { RenderService } from './renders/render-service.js';
import { TenantRepository } from './tenants/tenant-repository.js';
import { LessonLanguages } from './lessons/lesson-languages.js';
import { LessonRepository } from './lessons/lesson-repository.js';
import { LaunchValidator } from './lti/launch-validator.js';
import { createLtiProvider } from './lti/lti-provider.js';
import { LtiRegistry } from './lti/lti-registry.js';
import { CourseContexts } from './lti/course-contexts.js';
import { PlatformCheck } from './lti/platform-check.js';
import { LtiSessions } from './lti/lti-sessions.js';
import { PlatformRegistration } from './lti/platform-registration.js';
import { ToolKeys } from './lti/tool-keys.js';
import { startSweeping, type Expiring } from './lti/lti-sweeper.js';
import { ServiceTokens } from '../../adapters/moodle/service-tokens.js';
import { MoodleAdapter } from '../../adapters/moodle/moodle-adapter.js';
import { GradeDelivery } from './grades/grade-delivery.js';
import { GradeOutbox } from './grades/grade-outbox.js';
import { LineItemRepository } from './grades/line-item-repository.js';
import { HeartbeatEndpoint } from './progress/heartbeat-endpoint.js';
import { NarrationService } from './narration/narration-service.js';
import { Narrator } from './narration/narrator.js';
import { answerClipRenderer } from '../../render-node/src/engines/preview/answer-clip.js';
import { AnswerClips } from './tutor/answer-clips.js';
import { LearnerErasure } from './learners/learner-erasure.js';
import { ExtractiveComposer } from './tutor/extractive-composer.js';
import { LlmComposer } from './tutor/llm-composer.js';
import { PassageIndex } from './tutor/passage-index.js';
import { TutorPins } from './tutor/tutor-pins.js';
import { TutorQuestions } from './tutor/tutor-questions.js';
import { TutorReview } from './tutor/tutor-review.js';
import { TutorService } from './tutor/tutor-service.js';
import { SpeechCache } from './narration/speech-cache.js';
import { speechEngines } from './narration/speech-engines.js';
import { LessonGradingCache } from './progress/lesson-grading.js';
import { ProgressIngest } from './progress/progress-ingest.js';
import type { GradeKey } from './grades/grade-key.js';
import { AnswerRepository } from './questions/answer-repository.js';
import { AnswerIngest } from './questions/answer-ingest.js';
import { AnswerService } from './questions/answer-service.js';
import { QuestionSetCache } from './questions/question-set-cache.js';
import { SessionCache } from './lti/session-cache.js';
import { AnswerEndpoint } from './lti/answer-endpoint.js';
import { instanceLimit } from './web/rate-limit.js';
import { QuestionRepository } from './questions/question-repository.js';
import { LessonInsightsService } from './progress/lesson-insights.js';
import { ProgressRepository } from './progress/progress-repository.js';
import { CourseMembers } from './progress/course-members.js';
import { RosterService } from './progress/roster-service.js';
import { WatchStore } from './progress/watch-store.js';
import { DingTalkBridge } from './dingtalk/dingtalk-bridge.js';
import { outboundHttp } from './net/outbound-http.js';
import { RegistrationInvites } from './lti/registration-invites.js';
import { applyServerPolicy } from './web/server-policy.js';
import { WebhookEndpoints } from './webhooks/webhook-endpoints.js';
import { WebhookOutbox } from './webhooks/webhook-outbox.js';
import { WebhookDelivery } from './webhooks/webhook-delivery.js';
import { WebhookEvents } from './webhooks/webhook-events.js';
import { PackageRepository } from './packages/package-repository.js';
import { settledWithin } from '../../common/within.js';

export interface RunningTool {
  readonly url: string;
  readonly db: Db;
  readonly tenants: TenantRepository;
  readonly adminUsers: AdminUsers;
  readonly reconciler: RenderReconciler;
  readonly registration: PlatformRegistration;
  readonly invites: RegistrationInvites;
  readonly registry: LtiRegistry;
  readonly keys: ToolKeys;
  readonly dingtalk: DingTalkBridge;
  /** Every route the app answers (web/route-table.ts). */
  readonly routes: readonly RouteEntry[];
  /** What the periodic sweep deletes when its time is over. */
  readonly expiring: Expiring;
  close(): Promise<void>;
}

/** Moodle's id_tokens live 60 s; clocks may differ by a few seconds. */
const LTI_TOKEN_MAX_AGE_SEC = 60;
const LTI_CLOCK_SKEW_SEC = 5;

/** The tool's logger: credentials never reach the log (URLs lose theirs in the request serializer). */
export const toolLogger = (config: ToolConfig, destination?: DestinationStream): Logger =>
  pino(
    {
      level: config.VT_LOG_LEVEL,
      redact: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        'res.headers.location',
      ],
    },
    destination,
  );

/**
 * Starts one tool instance: schema migrated, secrets loaded (made on first start), queues and their
 * events followed, the reconciler running, HTTP listening. Any number of instances can run against
 * one PostgreSQL and one Redis.
 */
export async function startTool(config: ToolConfig, log: Logger = toolLogger(config)): Promise<RunningTool> {
  const db = openDatabase(config.VT_DATABASE_URL);
  await migrate(db);
  // Every call the tool makes to the outside goes through one of these (speech answers are audio).
  const http = outboundHttp({ allowPrivate: config.VT_ALLOW_PRIVATE_HOSTS });
  const speechHttp = outboundHttp({
    allowPrivate: config.VT_ALLOW_PRIVATE_HOSTS,
    totalTimeoutMs: 60_000,
    maxResponseBytes: 64 * 1024 * 1024,
  });
  // The workers' client: BullMQ wants its commands kept until Redis is back.
  const redis = new Redis(config.VT_REDIS_URL, { maxRetriesPerRequest: null });
  redis.on('error', (e) => log.debug({ err: e.message }, 'redis connection'));
  // The requests' client: while Redis is away a command fails at once (the limits count in memory,
  // readiness says so) instead of holding the request until Redis returns.
  const requestRedis = new Redis(config.VT_REDIS_URL, {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    commandTimeout: 2000,
  });
  requestRedis.on('error', (e) => log.debug({ err: e.message }, 'redis connection (requests)'));
  const [mediaKey, sessionSecret] = await Promise.all([
    toolSecret(db, 'media-url-key'),
    toolSecret(db, 'admin-session-key'),
  ]);
  const signer = new UrlSigner(mediaKey);
  const urls = new MediaUrls(signer, config.VT_PUBLIC_URL, {
    nodeSec: config.VT_NODE_URL_TTL_SEC,
    playerSec: config.VT_PLAYER_URL_TTL_SEC,
  });
  const store = await new MediaStore(config.VT_MEDIA_DIR).init();
  const tenants = new TenantRepository(db);
  const assets = new AssetRepository(db);
  // Every queue of the product (jobs/queues.ts); the tool refuses to start with one unhandled.
  const jobs = new JobRegistry(redis, config.VT_QUEUE_PREFIX, log);
  // Webhooks: events written with what they report (renders, publications, completions), delivered
  // signed through their outbox, by their own guarded client (receivers' answers are read a line of).
  const webhookHttp = outboundHttp({
    allowPrivate: config.VT_ALLOW_PRIVATE_HOSTS,
    maxResponseBytes: 64 * 1024,
    maxRedirects: 0,
  });
  const webhookEndpoints = new WebhookEndpoints(db, {
    afterFailures: config.VT_WEBHOOK_DISABLE_AFTER_FAILURES,
    afterSec: config.VT_WEBHOOK_DISABLE_AFTER_SEC,
  });
  const webhookOutbox = new WebhookOutbox(db);
  const webhooks = new WebhookDelivery({
    registry: jobs,
    outbox: webhookOutbox,
    endpoints: webhookEndpoints,
    http: webhookHttp,
    log,
    attempts: config.VT_WEBHOOK_ATTEMPTS,
    backoffMs: config.VT_WEBHOOK_BACKOFF_MS,
    maxBackoffMs: config.VT_WEBHOOK_MAX_BACKOFF_MS,
    relaySec: config.VT_WEBHOOK_RELAY_SEC,
  });
  webhooks.start();
  const events = new WebhookEvents(webhookOutbox, webhooks, log);
  const lessons = new LessonRepository(db, events);
  const renders = new RenderRepository(db, lessons);
  const queue = new RenderQueue({
    registry: jobs,
    attempts: config.VT_RENDER_ATTEMPTS,
    backoffMs: config.VT_RENDER_BACKOFF_MS,
  });
  const bus = new RenderBus();
  const metrics = new FarmMetrics(queue, jobs, redis, config.VT_QUEUE_PREFIX);
  const service = new RenderService({
    renders,
    assets,
    queue,
    urls,
    store,
    bus,
    metrics,
    log,
    events: { sink: events, publicUrl: config.VT_PUBLIC_URL },
  });
  const adminUsers = new AdminUsers(db);
  const farmEvents = await followFarmEvents({
    connection: redis,
    prefix: config.VT_QUEUE_PREFIX,
    queue,
    service,
    log,
  });
  const engines = new EnginePresence(() => listRenderNodes(redis, config.VT_QUEUE_PREFIX));
  const reconciler = new RenderReconciler(
    {
      renders,
      queue,
      service,
      bus,
      log,
      liveNodes: async () => (await listRenderNodes(redis, config.VT_QUEUE_PREFIX)).map((n) => n.nodeId),
    },
    config.VT_RECONCILE_SEC,
  );
  reconciler.start();

  const lti = await createLtiProvider({
    databaseUrl: config.VT_DATABASE_URL,
    db,
    encryptionKey: (await toolSecret(db, 'lti-encryption-key')).toString('base64url'),
    secureCookies: config.VT_SECURE_COOKIES,
    tokenMaxAgeSec: LTI_TOKEN_MAX_AGE_SEC,
  });
  const keys = new ToolKeys(db, config.VT_KEY_GRACE_HOURS);
  await keys.ensure();
  const registry = new LtiRegistry(db, tenants);
  const sessions = new LtiSessions(db);
  const contexts = new CourseContexts(db);
  const registration = new PlatformRegistration(lti, registry, config.VT_PUBLIC_URL, http);
  const invites = new RegistrationInvites(db, config.VT_PUBLIC_URL);
  const validator = new LaunchValidator(db, registry, {
    skewSec: LTI_CLOCK_SKEW_SEC,
    maxAgeSec: LTI_TOKEN_MAX_AGE_SEC,
    publicUrl: config.VT_PUBLIC_URL,
    http,
  });
  // Learner progress and the gradebook: heartbeats → progress + outbox → BullMQ → the LMS's AGS.
  const tokens = new ServiceTokens((claims, o) => keys.sign(claims, o), http);
  const lms = new MoodleAdapter({
    tokens,
    platform: (id) => registry.servicePlatform(id),
    lineItems: new LineItemRepository(db),
    http,
  });
  const gradeOutbox = new GradeOutbox(db);
  const grades = new GradeDelivery({
    registry: jobs,
    outbox: gradeOutbox,
    lms,
    log,
    backoffMs: config.VT_GRADE_BACKOFF_MS,
    maxBackoffMs: config.VT_GRADE_MAX_BACKOFF_MS,
    relaySec: config.VT_GRADE_RELAY_SEC,
  });
  grades.start();
  const platformCheck = new PlatformCheck({
    db,
    registry,
    contexts,
    tokens,
    lms,
    http,
    resend: (platformId, by) => grades.resend({ platformId }, by),
    publicUrl: config.VT_PUBLIC_URL,
    log,
  });
  // The DingTalk bridge: work notices through their own outbox, completion reported back.
  const dingtalk = new DingTalkBridge({
    config,
    db,
    redis,
    requestRedis,
    log,
    urls,
    http,
    jobs,
    sessions,
    lessons,
  });
  jobs.assertComplete();
  dingtalk.start();
  // Heartbeats and answers both move a learner's grade: the same outbox, delivery and reports.
  const onScored = (keys: GradeKey[]): void =>
    void grades.enqueue(keys).catch((e: Error) => log.warn({ err: e.message }, 'score not queued yet'));
  const onCompleted = (keys: GradeKey[]): void =>
    void dingtalk.reports
      .report(keys)
      .catch((e: Error) => log.warn({ err: e.message }, 'completion not reported yet'));
  const watchStore = new WatchStore();
  const grading = new LessonGradingCache(db);
  const ingest = new ProgressIngest(db, watchStore, gradeOutbox, {
    flushMs: config.VT_PROGRESS_FLUSH_MS,
    maxBatch: 500,
    maxInFlight: config.VT_PROGRESS_TRANSACTIONS,
    onScored,
    onCompleted,
    events,
  });
  const learnerSessions = new SessionCache(sessions);
  const questions = new QuestionRepository(db);
  const answerRepository = new AnswerRepository();
  const progress = new ProgressRepository(db);
  const insights = new LessonInsightsService({ db, progress, questions, answers: answerRepository });
  // Answers are taken as heartbeats are: by group commit, in as many transactions at once.
  const answerIngest = new AnswerIngest(
    db,
    { store: watchStore, answers: answerRepository, outbox: gradeOutbox },
    {
      flushMs: config.VT_PROGRESS_FLUSH_MS,
      maxBatch: 500,
      maxInFlight: config.VT_PROGRESS_TRANSACTIONS,
      onScored,
      onCompleted,
      events,
    },
  );
  const answers = new AnswerService({
    db,
    questions,
    sets: new QuestionSetCache(questions),
    answers: answerRepository,
    ingest: answerIngest,
    grading,
    log,
  });
  const narrator = new Narrator(
    await speechEngines(config, log, speechHttp),
    new SpeechCache(join(config.VT_MEDIA_DIR, 'speech-cache')),
  );
  const narration = new NarrationService({
    narrator,
    store,
    assets,
    maxScriptChars: config.VT_SCRIPT_MAX_CHARS,
    decodeAudio,
  });
  // Ask the tutor: the course's passages, the composer (a model when one is configured), the clips.
  const llmHttp = outboundHttp({
    allowPrivate: config.VT_ALLOW_PRIVATE_HOSTS,
    totalTimeoutMs: config.VT_LLM_TIMEOUT_MS,
    maxResponseBytes: 256 * 1024,
  });
  const tutorQuestions = new TutorQuestions(db);
  const tutorPins = new TutorPins(db);
  const extractive = new ExtractiveComposer();
  const answerClips = new AnswerClips({
    renderer: answerClipRenderer({ maxAudioSeconds: 120, x264Crf: 23 }),
    narrator,
    store,
    questions: tutorQuestions,
    workRoot: join(config.VT_MEDIA_DIR, 'tutor-clips'),
    maxAudioSeconds: 120,
    concurrency: config.VT_TUTOR_CLIPS_AT_ONCE,
    log,
  });
  const tutor = new TutorService({
    db,
    index: new PassageIndex(db, questions),
    questions: tutorQuestions,
    pins: tutorPins,
    lesson: async (tenantId, contextId, lessonId) => {
      const l = await lessons.tutorOf(tenantId, contextId, lessonId);
      return (
        l && {
          lessonId,
          contextId: l.contextId,
          tutorEnabled: l.tutorEnabled,
          presenter: l.presenter && {
            portraitPath: store.path(l.presenter.portraitSha256),
            voice: l.presenter.voice,
          },
        }
      );
    },
    composer: config.VT_LLM_URL
      ? new LlmComposer(
          { url: config.VT_LLM_URL, model: config.VT_LLM_MODEL, key: config.VT_LLM_KEY },
          llmHttp,
        )
      : extractive,
    extractive,
    clips: answerClips,
    clipUrl: (id) => urls.answerClip(id),
    lessonVideo: async (tenantId, lessonId) => {
      const published = (await lessons.inTenant(tenantId, lessonId))?.publishedRenderId;
      return published && `${urls.playerBase(published)}lesson.mp4`;
    },
    events,
    log,
  });
  const tutorReview = new TutorReview({ questions: tutorQuestions, pins: tutorPins, lessons, log });
  const adminSessions = adminSessionStore(db);
  const expiring: Expiring = { sessions, nonces: validator };
  const stopSweeping = startSweeping(expiring, 10 * 60_000, log);
  const app = createApp({
    lti,
    keys,
    registry,
    sessions,
    contexts,
    findFace: detectFace,
    inputChecks: {
      acceptsAudio: (mime) => audioDemuxer(mime) !== undefined,
      checkPortraitSize: (path) => checkImageSize(path),
    },
    jobs,
    engines,
    platformCheck,
    grades,
    registration,
    invites,
    validator,
    lessons,
    languages: new LessonLanguages(db),
    narration,
    progress,
    roster: new RosterService(new CourseMembers(db), lms, config.VT_ROSTER_MAX_AGE_SEC),
    config,
    db,
    redis: requestRedis,
    log,
    store,
    signer,
    urls,
    tenants,
    assets,
    renders,
    queue,
    service,
    bus,
    metrics,
    adminUsers,
    sessionSecret,
    adminSessions,
    dingtalk,
    questions,
    answers,
    insights,
    learnerSessions,
    webhookEndpoints,
    webhookOutbox,
    webhooks,
    packages: new PackageRepository(db),
    tutor,
    tutorReview,
    tutorQuestions,
    answerClips,
    learnerErasure: new LearnerErasure({
      db,
      progress: watchStore,
      answers: answerRepository,
      tutorQuestions,
      log,
    }),
  });
  const heartbeats = new HeartbeatEndpoint({ sessions: learnerSessions, grading, ingest, log });
  const answerEndpoint = new AnswerEndpoint({
    sessions: learnerSessions,
    answers,
    // Counted in memory: the answers' path never waits on Redis (heartbeats' does not either).
    limit: instanceLimit('answers', { points: config.VT_ANSWERS_PER_MINUTE, durationSec: 60 }),
    log,
  });
  let stopPolicy = (): void => {};
  const server: Server = await new Promise((resolve, reject) => {
    // Heartbeats and answers, the learners' busiest requests, are answered in front of Express.
    const s = createServer(heartbeats.inFrontOf(answerEndpoint.inFrontOf(app)));
    // The player sends a heartbeat every 5 s: Node's default 5 s idle limit would close its connection
    // just as the next one is sent. Longer than the 60 s a load balancer in front keeps one idle.
    s.keepAliveTimeout = 65_000;
    s.headersTimeout = 66_000;
    // No fixed limit on a whole request (Node's 300 s cut large uploads on slow links): bodies must
    // keep moving instead, and one request's stream errors end that request only.
    s.requestTimeout = 0;
    stopPolicy = applyServerPolicy(s, { stallSec: config.VT_UPLOAD_STALL_SEC, log });
    s.listen(config.VT_TOOL_PORT, config.VT_TOOL_HOST, () => resolve(s)).once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port }, 'virtual tutor tool listening');
  return {
    url: `http://${config.VT_TOOL_HOST}:${port}`,
    db,
    tenants,
    adminUsers,
    reconciler,
    registration,
    invites,
    registry,
    keys,
    dingtalk,
    routes: routeTable(app),
    expiring,
    async close() {
      stopPolicy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      // Redis may be away: give its clients a moment to close cleanly, then cut them.
      const atMost = (p: Promise<unknown>): Promise<boolean> => settledWithin(p, 2000);
      await atMost(reconciler.stop());
      await atMost(Promise.all([farmEvents.close(), grades.close(), webhooks.close(), dingtalk.close()]));
      await atMost(jobs.close());
      await atMost(answerClips.close());
      await atMost(Promise.all([http.close(), speechHttp.close(), webhookHttp.close(), llmHttp.close()]));
      redis.disconnect();
      requestRedis.disconnect();
      stopSweeping();
      await lti.close({ silent: true }).catch(() => {});
      adminSessions.close();
      await db.end();
    },
  };
}
