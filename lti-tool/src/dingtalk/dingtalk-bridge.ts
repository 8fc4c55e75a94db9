import type { HttpFetch } from '../../../adapters/http-fetch.js';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AccessTokenCache } from '../../../adapters/dingtalk/access-token-cache.js';
import { DingTalkAdapter } from '../../../adapters/dingtalk/dingtalk-adapter.js';
import { DingTalkApi } from '../../../adapters/dingtalk/dingtalk-api.js';
import type { ToolConfig } from '../config.js';
import type { Db } from '../db/database.js';
import type { MediaUrls } from '../media/media-urls.js';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import { ApiUsage } from './api-usage.js';
import { AssignmentRepository } from './assignment-repository.js';
import { Assignments } from './assignments.js';
import { CompletionRepository } from './completion-repository.js';
import { CompletionReports } from './completion-reports.js';
import { CorpRepository } from './corp-repository.js';
import { CallbackEvents } from './callback-events.js';
import { DingTalkPeople } from './dingtalk-people.js';
import { DirectoryReconciliation } from './directory-reconciliation.js';
import { DirectoryEvents } from './directory-events.js';
import { StreamConnections } from './stream-connections.js';
import { NoticeDelivery } from './notice-delivery.js';
import type { JobRegistry } from '../jobs/job-registry.js';
import type { LtiSessions } from '../lti/lti-sessions.js';
import { NoticeOutbox } from './notice-outbox.js';
import { RecipientBudget } from './recipient-budget.js';

/**
 * The DingTalk bridge's parts, made once per tool instance: the API client (tokens shared in Redis),
 * organisations, people, assignments, and the work-notice outbox with its sender and the completion
 * reports that feed it.
 */
export class DingTalkBridge {
  readonly api: DingTalkApi;
  readonly corps: CorpRepository;
  readonly people: DingTalkPeople;
  readonly callbackEvents: CallbackEvents;
  readonly assignments: Assignments;
  readonly reports: CompletionReports;
  readonly delivery: NoticeDelivery;
  /** Each organisation's month of calls against DingTalk's quota. */
  readonly usage: ApiUsage;
  /** The daily comparison with each organisation's directory (events the tool missed). */
  readonly directory: DirectoryReconciliation;
  /** Address-book events, from Stream mode and HTTP push alike. */
  readonly events: DirectoryEvents;
  /** The Stream-mode connections of the organisations that chose it. */
  readonly streams: StreamConnections;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: {
      config: ToolConfig;
      db: Db;
      redis: Redis;
      /** The client of the request path: commands fail at once while Redis is away. */
      requestRedis: Redis;
      log: Logger;
      urls: MediaUrls;
      http: HttpFetch;
      jobs: JobRegistry;
      /** Launch sessions, ended when people leave or their organisation is disconnected. */
      sessions: LtiSessions;
      lessons: LessonRepository;
    },
  ) {
    const { config, db, redis, log } = o;
    this.usage = new ApiUsage(db, log);
    this.api = new DingTalkApi(
      {
        oapi: config.VT_DINGTALK_OAPI_URL,
        api: config.VT_DINGTALK_API_URL,
        login: config.VT_DINGTALK_LOGIN_URL,
      },
      // Sign-ins wait on the token: it is read through the requests' client, which fails fast.
      new AccessTokenCache(o.requestRedis, config.VT_QUEUE_PREFIX),
      o.http,
      this.usage,
    );
    this.corps = new CorpRepository(db, o.sessions);
    const outbox = new NoticeOutbox(db);
    this.people = new DingTalkPeople(db, o.sessions, outbox);
    this.callbackEvents = new CallbackEvents(db);
    const notifier = new DingTalkAdapter(this.api, (id) => this.corps.get(id));
    this.delivery = new NoticeDelivery({
      registry: o.jobs,
      outbox,
      notifier,
      usage: this.usage,
      // 5 % under DingTalk's figure: its minute is counted on its clock, after the sends' transit.
      budget: new RecipientBudget(
        redis,
        config.VT_QUEUE_PREFIX,
        Math.floor(notifier.recipientsPerMinute * 0.95),
      ),
      log,
      sendsPerSec: config.VT_DINGTALK_SENDS_PER_SEC,
      backoffMs: config.VT_GRADE_BACKOFF_MS,
      maxBackoffMs: config.VT_GRADE_MAX_BACKOFF_MS,
      relaySec: config.VT_GRADE_RELAY_SEC,
      checkAfterMs: config.VT_DINGTALK_CHECK_AFTER_MS,
    });
    const common = { outbox, delivery: this.delivery, publicUrl: config.VT_PUBLIC_URL };
    this.assignments = new Assignments({
      ...common,
      store: new AssignmentRepository(db),
      lessons: o.lessons,
      api: this.api,
      urls: o.urls,
    });
    this.events = new DirectoryEvents({
      seen: this.callbackEvents,
      people: this.people,
      assignments: this.assignments,
      log,
    });
    this.streams = new StreamConnections({
      corps: this.corps,
      events: this.events,
      api: config.VT_DINGTALK_API_URL,
      http: o.http,
      allowPrivate: config.VT_ALLOW_PRIVATE_HOSTS,
      log,
    });
    this.directory = new DirectoryReconciliation({
      api: this.api,
      corps: this.corps,
      people: this.people,
      assignments: this.assignments,
      log,
      everyHours: config.VT_DINGTALK_RECONCILE_HOURS,
    });
    this.reports = new CompletionReports({
      ...common,
      completions: new CompletionRepository(db),
      usage: this.usage,
      timeZone: config.VT_DINGTALK_TIME_ZONE,
    });
  }

  /**
   * Sends what the outbox holds, and sweeps for completions and summaries a signal missed, and for
   * directory changes an event missed.
   */
  start(): void {
    this.delivery.start();
    const sweep = (): void =>
      void (async () => {
        await this.streams.sync();
        await this.reports.report();
        await this.reports.summarize(this.reports.yesterday());
        await this.callbackEvents.prune();
        await this.directory.due();
      })().catch((e: Error) => this.o.log.warn({ err: e.message }, 'DingTalk completion sweep'));
    sweep();
    this.timer = setInterval(sweep, this.o.config.VT_GRADE_RELAY_SEC * 1000);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.streams.close();
    await this.delivery.close();
  }
}
