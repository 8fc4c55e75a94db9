import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import {
  CONTRACT_VERSION,
  parseContract,
  RenderJobSchema,
  RenderProgressSchema,
  RenderResultSchema,
  type EngineName,
  type RenderJob,
  type RenderResult,
} from '../../../render-node/src/contract/render-job.js';
import type { AssetRepository } from '../assets/asset-repository.js';
import type { MediaStore } from '../media/media-store.js';
import type { MediaUrls } from '../media/media-urls.js';
import type { FarmMetrics } from '../ops/farm-metrics.js';
import type { RenderBus } from './render-bus.js';
import type { RenderQueue } from './render-queue.js';
import { settledWithin } from '../../../common/within.js';
import type { AfterCommit, EventSink } from '../webhooks/webhook-events.js';
import type { WebhookEvent } from '../webhooks/webhook-event-types.js';
import { OPEN_STATES, type NewRender, type Render, type RenderRepository } from './render-repository.js';

/** How long a submission waits for Redis before it answers with the render still "submitted". */
const ENQUEUE_WAIT_MS = 3000;

export class RenderInputError extends Error {
  override readonly name = 'RenderInputError';
}

/** What the render lifecycle needs of the render tables: `RenderRepository`, or a map in fast tests. */
export type RenderStore = Pick<
  RenderRepository,
  'create' | 'get' | 'transition' | 'recordProgress' | 'addEvent' | 'file'
>;

export interface RenderServiceDeps {
  readonly renders: RenderStore;
  readonly assets: Pick<AssetRepository, 'get'>;
  readonly queue: Pick<RenderQueue, 'add' | 'cancel'>;
  readonly urls: Pick<MediaUrls, 'nodeAsset' | 'nodeUploads'>;
  readonly store: Pick<MediaStore, 'size'>;
  readonly bus: Pick<RenderBus, 'publish'>;
  readonly metrics: Pick<FarmMetrics, 'finished' | 'queueLatency' | 'renderSeconds' | 'realtimeFactor'>;
  readonly log: Logger;
  /** Where a render's outcome is reported (webhooks), and the API's base for its link. */
  readonly events?: { readonly sink: EventSink; readonly publicUrl: string };
}

/**
 * The life of a render on the tool's side. A render is acknowledged once it is in PostgreSQL; it is
 * then put on its engine's queue (now, or by the reconciler if Redis is away). Reports from the farm
 * (progress, completion, failure, stalls) move it along; a completed render is marked done only when
 * every file in its manifest arrived with the announced size and sha256.
 */
export class RenderService {
  /** Each render's progress reports in hand, one after another. */
  private readonly reporting = new Map<string, Promise<void>>();

  constructor(private readonly d: RenderServiceDeps) {}

  async submit(n: NewRender): Promise<Render> {
    for (const [kind, sha] of [
      ['portrait', n.portraitSha256],
      ['audio', n.audioSha256],
    ] as const) {
      const asset = await this.d.assets.get(n.tenantId, sha);
      if (!asset) throw new RenderInputError(`No ${kind} asset ${sha} was uploaded.`);
      if (asset.kind !== kind) throw new RenderInputError(`Asset ${sha} is a ${asset.kind}, not a ${kind}.`);
    }
    const render = await this.d.renders.create(n);
    this.event(render, 'submitted');
    // Acknowledged from here on: it is in PostgreSQL. If Redis does not take the job promptly, the
    // caller still gets its answer and the reconciler (or this very add, once Redis is back) queues it.
    const enqueued = this.enqueue(render).catch((e: Error) =>
      this.d.log.warn(
        { renderId: render.id, err: e.message },
        'queue unavailable; the reconciler will enqueue',
      ),
    );
    await settledWithin(enqueued, ENQUEUE_WAIT_MS);
    return (await this.d.renders.get(render.id)) ?? render;
  }

  /** Puts a submitted render on its queue (idempotent: the job id is the render id). */
  async enqueue(render: Render, kind = 'queued', message = 'on the render queue'): Promise<void> {
    await this.d.queue.add(await this.jobFor(render));
    if (await this.d.renders.transition(render.id, ['submitted'], 'queued', { kind, message }))
      this.d.bus.publish(render.id, { type: 'state', state: 'queued', message });
  }

  /** The job a node gets: settings, and signed URLs for the inputs and for the uploads. */
  async jobFor(render: Render): Promise<RenderJob> {
    const input = async (sha: string): Promise<RenderJob['inputs']['portrait']> => {
      const asset = await this.d.assets.get(render.tenantId, sha);
      if (!asset) throw new Error(`asset ${sha} of render ${render.id} is gone`);
      return { url: this.d.urls.nodeAsset(sha), sha256: sha, bytes: asset.bytes };
    };
    return parseContract(
      RenderJobSchema,
      {
        contract: CONTRACT_VERSION,
        jobId: render.id,
        tenantId: render.tenantId,
        lessonId: render.lessonId,
        versionId: render.versionId,
        engine: render.engine,
        settings: render.settings,
        inputs: { portrait: await input(render.portraitSha256), audio: await input(render.audioSha256) },
        outputs: this.d.urls.nodeUploads(render.id),
      },
      'render job',
    );
  }

  async cancel(render: Render): Promise<boolean> {
    if (
      !(await this.d.renders.transition(render.id, OPEN_STATES, 'cancelled', {
        kind: 'cancelled',
        message: 'cancelled by the author',
      }))
    )
      return false;
    this.d.metrics.finished.inc({ engine: render.engine, outcome: 'cancelled' });
    this.d.bus.publish(render.id, { type: 'state', state: 'cancelled', message: 'cancelled' });
    await this.d.queue.cancel(render.engine, render.id);
    return true;
  }

  // ——— reports from the farm (QueueEvents, or the reconciler reading the job) ———

  /**
   * A progress report, handled after the render's earlier ones: reports arrive in order, but the first
   * (which records "started") takes longer, and a later one must not overtake it on the event stream.
   */
  onProgress(renderId: string, data: unknown): Promise<void> {
    const next = (this.reporting.get(renderId) ?? Promise.resolve()).then(() =>
      this.progressOf(renderId, data),
    );
    const settled = next.catch(() => undefined);
    this.reporting.set(renderId, settled);
    void settled.then(() => {
      if (this.reporting.get(renderId) === settled) this.reporting.delete(renderId);
    });
    return next;
  }

  private async progressOf(renderId: string, data: unknown): Promise<void> {
    let p;
    try {
      p = parseContract(RenderProgressSchema, data, 'progress report');
    } catch (e) {
      this.d.log.warn({ renderId, err: (e as Error).message }, 'ignored a malformed progress report');
      return;
    }
    const seen = await this.d.renders.recordProgress(renderId, p);
    if (!seen) return;
    if (seen.previousNode !== p.nodeId) {
      const [kind, message] = seen.previousNode
        ? ['handed-over', `handed over from node ${seen.previousNode} to node ${p.nodeId}`]
        : ['started', `started on node ${p.nodeId}`];
      await this.d.renders.addEvent(renderId, kind, p.nodeId, message);
      this.d.log.info({ event: 'render', renderId, state: kind, nodeId: p.nodeId }, `render ${kind}`);
      this.d.bus.publish(renderId, { type: 'state', state: 'active', message });
    }
    if (p.message) await this.d.renders.addEvent(renderId, 'note', p.nodeId, p.message);
    this.d.bus.publish(renderId, { type: 'progress', progress: p });
  }

  async onStalled(renderId: string): Promise<void> {
    const render = await this.d.renders.get(renderId);
    if (!render || render.state !== 'active') return;
    const message = `node ${render.nodeId ?? '?'} stopped answering; the job went back to the queue`;
    await this.d.renders.addEvent(renderId, 'stalled', render.nodeId, message);
    this.d.bus.publish(renderId, { type: 'state', state: 'active', message });
  }

  async onRetry(job: Job): Promise<void> {
    const render = await this.d.renders.get(job.id!);
    if (!render || !OPEN_STATES.includes(render.state) || !job.failedReason) return;
    const message = `attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1} failed (${job.failedReason}); retrying`;
    await this.d.renders.addEvent(render.id, 'retried', render.nodeId, message);
    this.d.bus.publish(render.id, { type: 'state', state: render.state, message });
  }

  /** A job that BullMQ finished, one way or the other; safe to call again for the same job. */
  async onFinishedJob(job: Job): Promise<void> {
    const state = await job.getState();
    if (state === 'completed') await this.complete(job);
    else if (state === 'failed') await this.fail(job.id!, job.failedReason || 'the render failed', job);
  }

  private async complete(job: Job): Promise<void> {
    const renderId = job.id!;
    const render = await this.d.renders.get(renderId);
    if (!render || !OPEN_STATES.includes(render.state)) return;
    let result: RenderResult;
    try {
      result = parseContract(RenderResultSchema, job.returnvalue, 'render result');
    } catch (e) {
      return this.fail(renderId, (e as Error).message, job);
    }
    const problems = await this.verifyOutputs(renderId, result);
    if (problems.length) return this.fail(renderId, `outputs did not verify: ${problems.join('; ')}`, job);
    const renderSec =
      job.finishedOn && job.processedOn ? (job.finishedOn - job.processedOn) / 1000 : undefined;
    const message =
      `done on node ${result.nodeId}: ${result.files.length} files verified, ${result.durationSec.toFixed(1)} s of video` +
      (renderSec ? ` in ${renderSec.toFixed(1)} s` : '');
    const finishedAt = new Date();
    if (
      !(await this.transition(
        render,
        'done',
        { kind: 'done', nodeId: result.nodeId, message },
        { result },
        (href) => ({
          type: 'render.done',
          data: {
            renderId,
            lessonId: render.lessonId,
            versionId: render.versionId,
            engine: render.engine,
            durationSec: result.durationSec,
            finishedAt: finishedAt.toISOString(),
            href,
          },
        }),
      ))
    )
      return;
    this.observe(render.engine, 'done', job, result.durationSec);
    this.event(render, 'done', { nodeId: result.nodeId, videoSec: result.durationSec, renderSec });
    this.d.bus.publish(renderId, { type: 'state', state: 'done', message });
  }

  private async fail(renderId: string, reason: string, job?: Job): Promise<void> {
    const render = await this.d.renders.get(renderId);
    if (!render) return;
    const message = reason.replace(/^UnrecoverableError: /, '');
    if (
      !(await this.transition(
        render,
        'failed',
        { kind: 'failed', nodeId: render.nodeId, message },
        { error: message },
        (href) => ({
          type: 'render.failed',
          data: {
            renderId,
            lessonId: render.lessonId,
            engine: render.engine,
            error: message,
            finishedAt: new Date().toISOString(),
            href,
          },
        }),
      ))
    )
      return;
    this.observe(render.engine, 'failed', job);
    this.event(render, 'failed', { nodeId: render.nodeId, error: message });
    this.d.bus.publish(renderId, { type: 'state', state: 'failed', message });
  }

  /**
   * An open render finished, with its event (render.done or render.failed) added in the same
   * transaction; false when it was not open any more (another instance or report got there first).
   */
  private async transition(
    render: Render,
    to: 'done' | 'failed',
    entry: { kind: string; nodeId: string | null; message: string },
    fields: { error?: string; result?: RenderResult },
    event: (href: string) => Omit<WebhookEvent, 'tenantId' | 'key'>,
  ): Promise<boolean> {
    const events = this.d.events;
    let announce: AfterCommit = () => {};
    const moved = await this.d.renders.transition(
      render.id,
      OPEN_STATES,
      to,
      entry,
      fields,
      events &&
        (async (c) => {
          const e = event(`${events.publicUrl}/api/renders/${render.id}`);
          announce = await events.sink.add(c, [{ tenantId: render.tenantId, key: render.id, ...e }]);
        }),
    );
    if (moved) announce();
    return moved;
  }

  /** Every file of the manifest must have arrived, with the size and sha256 the node announced. */
  private async verifyOutputs(renderId: string, result: RenderResult): Promise<string[]> {
    const problems: string[] = [];
    for (const f of result.files) {
      const stored = await this.d.renders.file(renderId, f.name);
      if (!stored) problems.push(`${f.name} never arrived`);
      else if (stored.sha256 !== f.sha256 || stored.bytes !== f.bytes)
        problems.push(`${f.name} differs from the manifest`);
      else if ((await this.d.store.size(f.sha256)) !== f.bytes)
        problems.push(`${f.name} is missing from the media store`);
    }
    return problems;
  }

  /** The render's business event: one log line per submission and outcome, with its ids. */
  private event(render: Render, state: string, extra: Record<string, unknown> = {}): void {
    this.d.log.info(
      {
        event: 'render',
        state,
        renderId: render.id,
        tenantId: render.tenantId,
        lessonId: render.lessonId,
        engine: render.engine,
        ...extra,
      },
      `render ${state}`,
    );
  }

  private observe(engine: EngineName, outcome: 'done' | 'failed', job?: Job, videoSec?: number): void {
    this.d.metrics.finished.inc({ engine, outcome });
    if (!job?.processedOn) return;
    this.d.metrics.queueLatency.observe({ engine }, Math.max(0, job.processedOn - job.timestamp) / 1000);
    if (outcome !== 'done' || !job.finishedOn) return;
    const sec = (job.finishedOn - job.processedOn) / 1000;
    this.d.metrics.renderSeconds.observe({ engine }, sec);
    if (videoSec && sec > 0) this.d.metrics.realtimeFactor.observe({ engine }, videoSec / sec);
  }
}
