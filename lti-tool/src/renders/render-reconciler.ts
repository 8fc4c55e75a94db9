import type { Logger } from 'pino';
import type { RenderBus } from './render-bus.js';
import type { RenderQueue } from './render-queue.js';
import type { RenderRepository } from './render-repository.js';
import type { RenderService } from './render-service.js';

/**
 * Makes PostgreSQL and the queue agree, so nothing acknowledged is lost and nothing is done twice:
 * renders still only in PostgreSQL are enqueued; renders whose job finished while no tool listened
 * are finalized from the job; a job Redis lost is added again (the same id: never twice at once).
 * An active render whose node went away (no presence) is marked stalled, so the author sees it waits
 * for a render node instead of an "active" bar that never moves.
 */
export const STALLED_MESSAGE = 'stalled, waiting for a render node';

export class RenderReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly d: {
      renders: RenderRepository;
      queue: RenderQueue;
      service: RenderService;
      bus: RenderBus;
      /** The ids of the render nodes whose presence is current. */
      liveNodes: () => Promise<string[]>;
      log: Logger;
    },
    private readonly everySec: number,
  ) {}

  start(): void {
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.everySec * 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; concurrent calls share it. */
  runOnce(): Promise<void> {
    this.running ??= this.pass()
      .catch((e: Error) => this.d.log.warn({ err: e.message }, 'reconcile pass failed; will retry'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    for (const id of await this.d.renders.markStalled(await this.d.liveNodes())) {
      this.d.log.warn({ event: 'render', renderId: id }, 'render stalled: its node went away');
      this.d.bus.publish(id, { type: 'state', state: 'active', message: STALLED_MESSAGE });
    }
    // Renders touched in the last seconds are left to the request or event handling them now.
    for (const render of await this.d.renders.listOpen(2)) {
      if (render.state === 'submitted') {
        await this.d.service.enqueue(
          render,
          'queued',
          'on the render queue (queued late: Redis was unavailable)',
        );
        continue;
      }
      const job = await this.d.queue.getJob(render.engine, render.id);
      if (!job) {
        await this.d.queue.add(await this.d.service.jobFor(render));
        await this.d.renders.addEvent(
          render.id,
          'requeued',
          null,
          'the job was missing from the queue; queued again',
        );
        this.d.log.warn({ renderId: render.id }, 're-added a render job missing from Redis');
      } else if (job.finishedOn) {
        await this.d.service.onFinishedJob(job);
      }
    }
  }
}
