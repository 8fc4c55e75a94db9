import express, { Router, type Response } from 'express';
import type { Logger } from 'pino';
import { digest, type LtiSession, type LtiSessions } from '../lti/lti-sessions.js';
import { HeartbeatSchema } from './heartbeat.js';
import type { LessonGradingCache } from './lesson-grading.js';
import type { ProgressIngest } from './progress-ingest.js';

export interface ProgressRoutesDeps {
  readonly sessions: LtiSessions;
  readonly grading: LessonGradingCache;
  readonly ingest: ProgressIngest;
  readonly log: Logger;
}

/** Launch sessions never change, only expire: heartbeats find theirs in memory for this long. */
const SESSION_CACHE_MS = 60_000;

/**
 * Heartbeats are answered before the app's page headers and logger (they are the one endpoint that
 * takes thousands a second), so they set the headers a JSON answer needs themselves, and skip
 * Express's ETag hashing, which a never-cached answer does not need.
 */
function answer(res: Response, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  });
  res.end(JSON.stringify(body));
}

/**
 * The player's heartbeats. The launch session's token travels in the body (navigator.sendBeacon can
 * set no header), and it alone says who is watching: a learner can report only their own watching,
 * of the lesson they launched, in their tenant. Text/plain bodies are what sendBeacon sends.
 */
export function progressRoutes(d: ProgressRoutesDeps): Router {
  const router = Router();
  const cache = new Map<string, { session: LtiSession | undefined; until: number }>();
  const sessionOf = async (token: string): Promise<LtiSession | undefined> => {
    const hit = cache.get(token);
    if (hit && hit.until > Date.now()) return hit.session;
    const session = await d.sessions.get(token);
    if (cache.size > 50_000) cache.clear();
    cache.set(token, { session, until: Date.now() + SESSION_CACHE_MS });
    return session;
  };

  router.post(
    '/lti/progress',
    express.json({ type: ['application/json', 'text/plain'], limit: '16kb' }),
    async (req, res) => {
      const parsed = HeartbeatSchema.safeParse(req.body);
      if (!parsed.success) return answer(res, 400, { error: 'Not a heartbeat.' });
      const hb = parsed.data;
      try {
        const session = await sessionOf(hb.session);
        if (!session) return answer(res, 401, { error: 'The launch has expired; open the activity again.' });
        if (session.role !== 'learner' || session.messageType !== 'LtiResourceLinkRequest')
          return answer(res, 403, { error: 'Progress is recorded for learners.' });
        if (session.lessonId !== hb.lessonId)
          return answer(res, 403, { error: 'This launch is for another lesson.' });
        const lesson = await d.grading.get(session.tenantId, hb.lessonId);
        if (!lesson) return answer(res, 404, { error: 'No such lesson.' });
        const standing = await d.ingest.submit({
          sessionSha: digest(hb.session),
          session,
          lesson,
          heartbeat: hb,
        });
        answer(res, 200, standing);
      } catch (e) {
        d.log.warn({ err: (e as Error).message }, 'heartbeat not stored');
        answer(res, 503, { error: 'Progress could not be saved just now; the player will retry.' });
      }
    },
  );
  return router;
}
