import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ENGINES } from '../../../render-node/src/contract/render-job.js';
import type { RenderQueue } from '../renders/render-queue.js';
import type { JobRegistry, QueueDepth } from '../jobs/job-registry.js';
import { listRenderNodes } from './render-nodes.js';

const JOB_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'] as const;

/**
 * Prometheus metrics of the farm, on a registry of its own. Queue depths and live nodes are read from
 * Redis at scrape time (so every tool instance reports the same, true numbers); timings are observed
 * by the instance that finalizes a render.
 */
export class FarmMetrics {
  readonly registry = new Registry();
  readonly renderSeconds: Histogram<'engine'>;
  readonly realtimeFactor: Histogram<'engine'>;
  readonly queueLatency: Histogram<'engine'>;
  readonly finished: Counter<'engine' | 'outcome'>;

  constructor(queue: RenderQueue, jobs: JobRegistry, redis: Redis, prefix: string) {
    collectDefaultMetrics({ register: this.registry, prefix: 'vt_tool_' });
    const registers = [this.registry];
    new Gauge({
      name: 'vt_render_jobs',
      help: 'Render jobs in the queue, by engine and state',
      labelNames: ['engine', 'state'],
      registers,
      async collect() {
        for (const engine of ENGINES) {
          const counts = await queue.queue(engine).getJobCounts(...JOB_STATES);
          for (const state of JOB_STATES) this.set({ engine, state }, counts[state] ?? 0);
        }
      },
    });
    // Every queue of the product, and the outbox rows behind the ones that have an outbox: one read
    // serves both gauges of a scrape (prom-client collects them together).
    let reading: Promise<QueueDepth[]> | undefined;
    const depths = (): Promise<QueueDepth[]> =>
      (reading ??= jobs.depths().finally(() => (reading = undefined)));
    new Gauge({
      name: 'vt_queue_jobs',
      help: 'Jobs of every queue (jobs/queues.ts), by queue and state',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        for (const q of await depths())
          for (const [state, n] of Object.entries(q.jobs)) this.set({ queue: q.name, state }, n);
      },
    });
    new Gauge({
      name: 'vt_outbox_rows',
      help: 'Outbox rows not yet delivered, by queue and status (pending, sent, failed)',
      labelNames: ['queue', 'status'],
      registers,
      async collect() {
        for (const q of await depths())
          for (const [status, n] of Object.entries(q.backlog ?? {})) this.set({ queue: q.name, status }, n);
      },
    });
    new Gauge({
      name: 'vt_render_nodes',
      help: 'Live render nodes, by engine they offer',
      labelNames: ['engine'],
      registers,
      async collect() {
        const nodes = await listRenderNodes(redis, prefix);
        for (const engine of ENGINES)
          this.set({ engine }, nodes.filter((n) => n.engines.includes(engine)).length);
      },
    });
    this.renderSeconds = new Histogram({
      name: 'vt_render_seconds',
      help: 'Wall time of a finished render on its node (last attempt), seconds',
      labelNames: ['engine'],
      buckets: [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.realtimeFactor = new Histogram({
      name: 'vt_render_realtime_factor',
      help: 'Seconds of lesson rendered per second of render time (× real time)',
      labelNames: ['engine'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32],
      registers,
    });
    this.queueLatency = new Histogram({
      name: 'vt_queue_latency_seconds',
      help: 'From a render being queued to a node starting it, seconds',
      labelNames: ['engine'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    });
    this.finished = new Counter({
      name: 'vt_renders_finished_total',
      help: 'Renders finished, by engine and outcome (done, failed, cancelled)',
      labelNames: ['engine', 'outcome'],
      registers,
    });
  }
}
