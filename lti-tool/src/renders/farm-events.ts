import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ENGINES, renderQueueName, type EngineName } from '../../../render-node/src/contract/render-job.js';
import { settledWithin } from '../../../common/within.js';
import type { RenderQueue } from './render-queue.js';
import type { RenderService } from './render-service.js';

/** How long closing waits for Redis before it cuts the followers' connections. */
const CLOSE_GRACE_MS = 5000;

/**
 * Follows the farm's queues (BullMQ's event streams in Redis) and hands each report to the render
 * service. Events missed while this instance was down or Redis was away are made good by the
 * reconciler, so a handler that fails only logs.
 */
export async function followFarmEvents(o: {
  connection: Redis;
  prefix: string;
  queue: RenderQueue;
  service: RenderService;
  log: Logger;
}): Promise<{ close(): Promise<void> }> {
  const guard =
    (what: string, fn: (jobId: string) => Promise<void>) =>
    ({ jobId }: { jobId: string }): void =>
      void fn(jobId).catch((e: Error) => o.log.warn({ jobId, err: e.message }, `handling ${what} failed`));
  const withJob =
    (
      engine: EngineName,
      fn: (job: NonNullable<Awaited<ReturnType<RenderQueue['getJob']>>>) => Promise<void>,
    ) =>
    async (jobId: string): Promise<void> => {
      const job = await o.queue.getJob(engine, jobId);
      if (job) await fn(job);
    };

  const connections: Redis[] = [];
  const followers = await Promise.all(
    ENGINES.map(async (engine) => {
      // A blocking reader needs a connection of its own.
      const connection = o.connection.duplicate();
      connections.push(connection);
      const events = new QueueEvents(renderQueueName(engine), { connection, prefix: o.prefix });
      events.on('error', (e) => o.log.debug({ err: e.message }, 'queue events connection'));
      events.on(
        'progress',
        ({ jobId, data }) =>
          void o.service
            .onProgress(jobId, data)
            .catch((e: Error) => o.log.warn({ jobId, err: e.message }, 'progress')),
      );
      events.on(
        'completed',
        guard(
          'completion',
          withJob(engine, (job) => o.service.onFinishedJob(job)),
        ),
      );
      events.on(
        'failed',
        guard(
          'failure',
          withJob(engine, (job) => o.service.onFinishedJob(job)),
        ),
      );
      events.on(
        'delayed',
        guard(
          'retry',
          withJob(engine, (job) => o.service.onRetry(job)),
        ),
      );
      events.on(
        'stalled',
        guard('stall', (jobId) => o.service.onStalled(jobId)),
      );
      await events.waitUntilReady();
      return events;
    }),
  );
  return {
    async close() {
      // A close always ends: followers Redis does not let go of within the grace are cut. With Redis
      // away, BullMQ's close waits for an 'end' event that a reconnecting client never emits
      // (bullmq#4656): they are cut at once.
      const closing = Promise.all(followers.map((e) => e.close())).catch(() => undefined);
      if (connections.every((c) => c.status === 'ready')) await settledWithin(closing, CLOSE_GRACE_MS);
      for (const c of connections) c.disconnect();
    },
  };
}
