import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseEnv, REPO_ROOT } from '../../common/env.js';
import { DINGTALK_ENDPOINTS } from '../../adapters/dingtalk/dingtalk-api.js';

export { REPO_ROOT };

const schema = z.object({
  VT_TOOL_HOST: z.string().default('127.0.0.1'),
  VT_TOOL_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** How render nodes and browsers reach this tool; signed media URLs are built on it. */
  VT_PUBLIC_URL: z.url().default('http://127.0.0.1:3000'),
  VT_DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/virtual_tutor'),
  VT_REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** BullMQ and presence key prefix, shared with the render nodes of this farm. */
  VT_QUEUE_PREFIX: z
    .string()
    .regex(/^[\w-]+$/)
    .default('vt'),
  VT_MEDIA_DIR: z.string().default(join(REPO_ROOT, 'data/media')),
  /**
   * Behind nginx: the internal location over VT_MEDIA_DIR (e.g. "/_media/"). The tool then checks each
   * media request and answers with X-Accel-Redirect, and nginx sends the bytes (docs/deploy.md).
   */
  VT_MEDIA_ACCEL_PREFIX: z
    .string()
    .regex(/^\/[\w/-]*\/$/)
    .optional(),
  /** Lifetime of the signed URLs handed to render nodes (inputs and uploads). */
  VT_NODE_URL_TTL_SEC: z.coerce
    .number()
    .int()
    .positive()
    .default(24 * 3600),
  /** Lifetime of the signed media URLs handed to browsers. */
  VT_PLAYER_URL_TTL_SEC: z.coerce
    .number()
    .int()
    .positive()
    .default(6 * 3600),
  VT_MAX_UPLOAD_MB: z.coerce.number().positive().default(512),
  /**
   * An upload may take as long as it needs while it keeps moving; one that sends nothing for this long
   * is dropped (a slow link works, a stalled or trickling one does not hold a connection forever).
   */
  VT_UPLOAD_STALL_SEC: z.coerce.number().positive().default(60),
  /**
   * Outbound calls (platforms, keysets, DingTalk, speech) may reach private, loopback and unique-local
   * addresses: for an LMS on the same network, the tests and the demo. Link-local (cloud metadata)
   * addresses stay refused.
   */
  VT_ALLOW_PRIVATE_HOSTS: z.stringbool().default(false),
  /** Render attempts before a render fails (node crashes and transient errors). */
  VT_RENDER_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  VT_RENDER_BACKOFF_MS: z.coerce.number().int().positive().default(5000),
  /** How often the reconciler compares PostgreSQL with the queue (missed events, lost jobs). */
  VT_RECONCILE_SEC: z.coerce.number().positive().default(10),
  /** Heartbeats arriving within this many ms share one transaction (group commit). */
  VT_PROGRESS_FLUSH_MS: z.coerce.number().int().min(0).default(5),
  /**
   * Answers to a lesson's questions one learner may send a minute: a person answers a few; more is a
   * script (a benchmark raises it to measure the endpoint rather than the limit).
   */
  VT_ANSWERS_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  /** Heartbeat transactions under way at once (each a database connection of the pool). */
  VT_PROGRESS_TRANSACTIONS: z.coerce.number().int().min(1).max(8).default(4),
  /** First retry of a score the LMS did not take, doubling up to VT_GRADE_MAX_BACKOFF_MS. */
  VT_GRADE_BACKOFF_MS: z.coerce.number().int().positive().default(1000),
  VT_GRADE_MAX_BACKOFF_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(5 * 60_000),
  /** How often pending scores without a job (lost with Redis or a crash) are queued again. */
  VT_GRADE_RELAY_SEC: z.coerce.number().positive().default(30),
  /**
   * Webhooks (Standard Webhooks): attempts of one delivery, the first retry's wait (doubling up to the
   * maximum) and the relay; the defaults retry for about 14 hours before a delivery is failed.
   */
  VT_WEBHOOK_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(15),
  VT_WEBHOOK_BACKOFF_MS: z.coerce.number().int().positive().default(5000),
  VT_WEBHOOK_MAX_BACKOFF_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(4 * 3600_000),
  VT_WEBHOOK_RELAY_SEC: z.coerce.number().positive().default(30),
  /**
   * An endpoint is turned off after this many failed attempts in a row spanning at least
   * VT_WEBHOOK_DISABLE_AFTER_SEC (five days by default); the admin page says so.
   */
  VT_WEBHOOK_DISABLE_AFTER_FAILURES: z.coerce.number().int().min(1).default(20),
  VT_WEBHOOK_DISABLE_AFTER_SEC: z.coerce
    .number()
    .min(0)
    .default(5 * 24 * 3600),
  /** How long a course roster from the LMS (NRPS) is used before it is fetched again. */
  VT_ROSTER_MAX_AGE_SEC: z.coerce.number().positive().default(600),
  /** The longest script (Markdown characters) a lesson may be spoken from. */
  VT_SCRIPT_MAX_CHARS: z.coerce.number().int().positive().default(20_000),
  /** A cloud speech service (Azure Speech REST interface); its voices are offered when both are set. */
  VT_TTS_CLOUD_URL: z.url().optional(),
  VT_TTS_CLOUD_KEY: z.string().min(8).optional(),
  /**
   * The tutor's answer composer: an OpenAI-compatible chat completions service (vLLM, Ollama, a cloud
   * service's compatible mode) at this base URL (…/v1) with this model. Unset: answers are extracted
   * from the course's passages, which needs nothing outside the tool.
   */
  VT_LLM_URL: z.url().optional(),
  VT_LLM_MODEL: z.string().min(1).default('qwen2.5:7b-instruct'),
  VT_LLM_KEY: z.string().min(1).optional(),
  /** How long a learner waits for the model before the tutor answers from the passages instead. */
  VT_LLM_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /** Questions to the tutor a minute: per learner, and per tenant (each may cost a model call and a render). */
  VT_TUTOR_QUESTIONS_PER_MINUTE: z.coerce.number().int().positive().default(6),
  VT_TUTOR_TENANT_QUESTIONS_PER_MINUTE: z.coerce.number().int().positive().default(300),
  /** Answer clips rendered at once by this instance (one a core by default); the others wait their turn. */
  VT_TUTOR_CLIPS_AT_ONCE: z.coerce.number().int().positive().default(availableParallelism()),
  /** DingTalk's services (the bridge): the real hosts unless pointed at a simulator. */
  VT_DINGTALK_OAPI_URL: z.url().default(DINGTALK_ENDPOINTS.oapi),
  VT_DINGTALK_API_URL: z.url().default(DINGTALK_ENDPOINTS.api),
  VT_DINGTALK_LOGIN_URL: z.url().default(DINGTALK_ENDPOINTS.login),
  /** The DingTalk JSAPI script the free-login page loads. */
  VT_DINGTALK_JSAPI_URL: z
    .url()
    .default('https://g.alicdn.com/dingding/dingtalk-jsapi/3.1.0/dingtalk.open.js'),
  /**
   * Calls a second to DingTalk's work-notice API, all instances together (BullMQ's limiter is the
   * queue's): under DingTalk's per-app limit (errcode 90018), which is answered with a retry anyway.
   */
  VT_DINGTALK_SENDS_PER_SEC: z.coerce.number().int().min(1).max(40).default(20),
  /** How long after a send DingTalk is first asked for its result. */
  VT_DINGTALK_CHECK_AFTER_MS: z.coerce.number().int().positive().default(5000),
  /** The calendar of the daily summaries sent to assigning admins. */
  VT_DINGTALK_TIME_ZONE: z.string().default('Asia/Shanghai'),
  /** How often each organisation's directory is compared with what the tool knows (missed events). */
  VT_DINGTALK_RECONCILE_HOURS: z.coerce.number().positive().default(24),
  /** How long a rotated-out signing key stays in our published keyset. */
  VT_KEY_GRACE_HOURS: z.coerce.number().min(0).default(24),
  /** Cookies marked Secure (behind TLS). */
  VT_SECURE_COOKIES: z.stringbool().default(false),
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  VT_METRICS_TOKEN: z.string().min(16).optional(),
  VT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'),
});

export type ToolConfig = z.infer<typeof schema>;

export function loadToolConfig(env: NodeJS.ProcessEnv = process.env): ToolConfig {
  return parseEnv(schema, env, 'tool');
}
