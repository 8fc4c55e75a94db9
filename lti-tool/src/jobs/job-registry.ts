import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { QUEUE_NAMES, QUEUES, type PayloadOf, type QueueName, type ToolQueueName } from './queues.js';

/** Counts of a queue's jobs by state, and the outbox rows behind it where it has an outbox. */
export interface QueueDepth {
  readonly name: QueueName;
  readonly jobs: Readonly<Record<(typeof JOB_STATES)[number], number>>;
  /** Outbox rows by status (pending, failed, …): work PostgreSQL holds that the queue may not show. */
  readonly backlog?: Readonly<Record<string, number>>;
}

export const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

/** What a queue's worker tells the registry: that it handles the queue, and its outbox's backlog. */
export interface QueueHandler {
  backlog?(): Promise<Record<string, number>>;
}

/**
 * The tool's view of every queue in QUEUES: one BullMQ Queue object per queue (shared by whoever adds
 * to it, Bull Board and the metrics), which queues have a handler in this process, and their depths.
 */
export class JobRegistry {
  private readonly queues = new Map<QueueName, Queue>();
  private readonly handlers = new Map<QueueName, QueueHandler>();

  constructor(
    private readonly connection: Redis,
    readonly prefix: string,
    log: Logger,
  ) {
    for (const name of QUEUE_NAMES) {
      const q = new Queue(name, { connection, prefix });
      q.on('error', (e) => log.debug({ queue: name, err: e.message }, 'queue connection'));
      this.queues.set(name, q);
    }
  }

  queue<Q extends QueueName>(name: Q): Queue<PayloadOf<Q>> {
    return this.queues.get(name)! as Queue<PayloadOf<Q>>;
  }

  all(): Queue[] {
    return [...this.queues.values()];
  }

  /** A worker of this process takes `name`'s jobs. */
  handle(name: ToolQueueName, handler: QueueHandler): void {
    if (this.handlers.has(name)) throw new Error(`queue ${name} has two handlers`);
    this.handlers.set(name, handler);
  }

  /** Start-up fails when a queue the tool processes has no handler (its jobs would wait forever). */
  assertComplete(): void {
    const missing = QUEUE_NAMES.filter((n) => QUEUES[n].processedBy === 'tool' && !this.handlers.has(n));
    if (missing.length) throw new Error(`no handler for the queue(s) ${missing.join(', ')}`);
  }

  /** Every queue's jobs by state, and its outbox's backlog. */
  async depths(): Promise<QueueDepth[]> {
    return Promise.all(
      QUEUE_NAMES.map(async (name) => {
        const counts = await this.queue(name).getJobCounts(...JOB_STATES);
        const jobs = Object.fromEntries(JOB_STATES.map((s) => [s, counts[s] ?? 0])) as QueueDepth['jobs'];
        const backlog = await this.handlers.get(name)?.backlog?.();
        return { name, jobs, ...(backlog && { backlog }) };
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close()));
  }

  /** The connection queues and workers are made from. */
  get redis(): Redis {
    return this.connection;
  }
}
