import type { Job, JobsOptions, Queue } from 'bullmq';
import {
  cancelChannel,
  ENGINES,
  type EngineName,
  type RenderJob,
} from '../../../render-node/src/contract/render-job.js';
import type { JobRegistry } from '../jobs/job-registry.js';

export interface RenderQueueOptions {
  readonly registry: JobRegistry;
  readonly attempts: number;
  readonly backoffMs: number;
}

/**
 * The tool's side of the farm's queues: one BullMQ queue per engine. The job id is the render id, so
 * adding a render twice (a retry after a timeout, the reconciler) leaves one job. Finished jobs are
 * kept a while, so a tool that was down when one finished still reads its result.
 */
export class RenderQueue {
  private readonly queues = new Map<EngineName, Queue>();
  private readonly jobOptions: JobsOptions;

  constructor(private readonly o: RenderQueueOptions) {
    for (const engine of ENGINES) this.queues.set(engine, o.registry.queue(`render-${engine}`) as Queue);
    this.jobOptions = {
      attempts: o.attempts,
      backoff: { type: 'exponential', delay: o.backoffMs },
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 30 * 24 * 3600 },
    };
  }

  queue(engine: EngineName): Queue {
    return this.queues.get(engine)!;
  }

  async add(job: RenderJob): Promise<void> {
    await this.queue(job.engine).add('render', job, { ...this.jobOptions, jobId: job.jobId });
  }

  getJob(engine: EngineName, id: string): Promise<Job | undefined> {
    return this.queue(engine).getJob(id);
  }

  /**
   * Takes a job off the queue; one a node is rendering cannot be removed, so the nodes are asked to
   * abort it (the node that has it fails it as cancelled).
   */
  async cancel(engine: EngineName, id: string): Promise<void> {
    const job = await this.getJob(engine, id);
    if (!job) return;
    try {
      await job.remove();
    } catch {
      await this.o.registry.redis.publish(cancelChannel(this.o.registry.prefix), id);
    }
  }
}
