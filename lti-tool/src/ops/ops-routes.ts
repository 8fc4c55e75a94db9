import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Redis } from 'ioredis';
import { answerWithin } from '../../../common/within.js';
import type { Db } from '../db/database.js';
import type { FarmMetrics } from './farm-metrics.js';
import { ApiError } from '../web/api-error.js';

/**
 * GET /healthz: the process answers (liveness). GET /readyz: PostgreSQL and Redis answer too
 * (readiness: take this instance out of the load balancer while they do not). GET /metrics:
 * Prometheus text, behind a bearer token when VT_METRICS_TOKEN is set.
 */
export function opsRoutes(d: { db: Db; redis: Redis; metrics: FarmMetrics; metricsToken?: string }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => void res.set('cache-control', 'no-store').json({ status: 'ok' }));
  router.get('/readyz', async (_req, res) => {
    const check = async (what: string, fn: () => Promise<unknown>): Promise<string> => {
      try {
        await answerWithin(fn(), 2000, what);
        return 'ok';
      } catch (e) {
        return `unavailable: ${(e as Error).message}`;
      }
    };
    const [database, redis] = await Promise.all([
      check('PostgreSQL', () => d.db.query('SELECT 1')),
      check('Redis', () => d.redis.ping()),
    ]);
    const ok = database === 'ok' && redis === 'ok';
    res
      .status(ok ? 200 : 503)
      .set('cache-control', 'no-store')
      .json({ status: ok ? 'ok' : 'degraded', database, redis });
  });
  router.get('/metrics', async (req, res) => {
    if (d.metricsToken) {
      const given = Buffer.from(req.get('authorization') ?? '');
      const wanted = Buffer.from(`Bearer ${d.metricsToken}`);
      if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
        throw ApiError.of('UNAUTHENTICATED', 'A metrics token is required.');
    }
    res.type(d.metrics.registry.contentType).send(await d.metrics.registry.metrics());
  });
  return router;
}
