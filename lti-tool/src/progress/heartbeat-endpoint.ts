import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { digest } from '../lti/lti-sessions.js';
import type { SessionCache } from '../lti/session-cache.js';
import { readSmallBody } from '../web/small-body.js';
import { HeartbeatSchema } from './heartbeat.js';
import type { LessonGradingCache } from './lesson-grading.js';
import type { ProgressIngest } from './progress-ingest.js';

export interface HeartbeatEndpointDeps {
  /** Launch sessions, kept a minute in memory (they never change, only expire). */
  readonly sessions: Pick<SessionCache, 'get'>;
  readonly grading: LessonGradingCache;
  readonly ingest: ProgressIngest;
  readonly log: Logger;
}

export const HEARTBEAT_PATH = '/lti/progress';
const MAX_BODY_BYTES = 16 * 1024;
/** What the player's fetch sends, and what navigator.sendBeacon sends (it can set no other type). */
const BODY_TYPES = /^(application\/json|text\/plain)\s*(;|$)/i;
const HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * POST /lti/progress: the player's heartbeats, the one endpoint that takes thousands of requests a
 * second. It is answered in front of Express (`inFrontOf`), which would spend more CPU on routing,
 * middleware and body parsing than the heartbeat costs to store. Its needs are few: a JSON body of at
 * most 16 kB, validated by schema, and a JSON answer that no one caches or frames.
 *
 * The launch session's token travels in the body (sendBeacon can set no header), and it alone says
 * who is watching: a learner can report only their own watching, of the lesson they launched, in
 * their tenant.
 */
export class HeartbeatEndpoint {
  constructor(private readonly d: HeartbeatEndpointDeps) {}

  /** A request listener that answers heartbeats and hands every other request to `next`. */
  inFrontOf(next: Handler): Handler {
    return (req, res) =>
      req.method === 'POST' && req.url === HEARTBEAT_PATH ? void this.handle(req, res) : next(req, res);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!BODY_TYPES.test(req.headers['content-type'] ?? ''))
      return answer(res, 415, { error: 'A heartbeat is JSON.' });
    const body = await readSmallBody(req, MAX_BODY_BYTES);
    if (body === 'too large') return answer(res, 413, { error: 'A heartbeat is at most 16 kB.' });
    if (body === undefined) return; // the client went away
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return answer(res, 400, { error: 'Not a heartbeat.' });
    }
    const parsed = HeartbeatSchema.safeParse(json);
    if (!parsed.success) return answer(res, 400, { error: 'Not a heartbeat.' });
    const hb = parsed.data;
    try {
      const session = await this.d.sessions.get(hb.session);
      if (!session) return answer(res, 401, { error: 'The launch has expired; open the activity again.' });
      if (session.role !== 'learner' || session.messageType === 'LtiDeepLinkingRequest')
        return answer(res, 403, { error: 'Progress is recorded for learners.' });
      if (session.lessonId !== hb.lessonId)
        return answer(res, 403, { error: 'This launch is for another lesson.' });
      const lesson = await this.d.grading.get(session.tenantId, hb.lessonId);
      if (!lesson) return answer(res, 404, { error: 'No such lesson.' });
      answer(
        res,
        200,
        await this.d.ingest.submit({ sessionSha: digest(hb.session), session, lesson, heartbeat: hb }),
      );
    } catch (e) {
      this.d.log.warn({ err: (e as Error).message }, 'heartbeat not stored');
      answer(res, 503, { error: 'Progress could not be saved just now; the player will retry.' });
    }
  }
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, HEADERS).end(JSON.stringify(body));
}
