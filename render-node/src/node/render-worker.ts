import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RenderNodeConfig } from '../config.js';
import { buildOutputManifest } from '../contract/output-manifest.js';
import {
  CONTRACT_VERSION,
  parseContract,
  RenderJobSchema,
  renderQueueName,
  RenderResultSchema,
  type EngineName,
  type RenderJob,
  type RenderProgress,
  type RenderResult,
} from '../contract/render-job.js';
import { renderPreview } from '../engines/preview/preview-engine.js';
import { isRenderError, RenderError } from '../errors.js';
import { parseFps, parseSize } from '../render-size.js';
import type { NodePresence } from './node-presence.js';
import { downloadInput, uploadOutputs } from './transfer.js';

export interface RenderWorkerOptions {
  readonly connection: Redis;
  readonly presence: NodePresence;
  readonly config: RenderNodeConfig;
  /** BullMQ key prefix (tests isolate themselves with one). */
  readonly prefix?: string;
  readonly uploadRetrySec?: number;
}

/** Share of a job's progress bar given to each stage (the render takes the rest). */
const FETCH_SHARE = 5;
const UPLOAD_SHARE = 5;

/**
 * The render node's workers: one BullMQ worker per engine this node has, taking jobs only from that
 * engine's queue. A job is validated against the contract, its inputs fetched and checked, rendered
 * in a scratch folder, its outputs uploaded, and the manifest returned as the job's result. Bad input
 * fails at once (no retries); anything else is retried by BullMQ with the job's backoff.
 */
export function startRenderWorkers(o: RenderWorkerOptions): Worker[] {
  return o.presence.identity.engines.map(
    (engine) =>
      new Worker(renderQueueName(engine), (job: Job) => processRenderJob(engine, job, o), {
        connection: o.connection,
        prefix: o.prefix,
        concurrency: o.presence.identity.concurrency,
        // A long render must not be taken for stalled: the lock is renewed while the job runs.
        lockDuration: 60_000,
      }),
  );
}

async function processRenderJob(engine: EngineName, job: Job, o: RenderWorkerOptions): Promise<RenderResult> {
  let spec: RenderJob;
  try {
    spec = parseContract(RenderJobSchema, job.data, 'render job');
  } catch (e) {
    throw new UnrecoverableError((e as Error).message);
  }
  if (spec.engine !== engine) throw new UnrecoverableError(`A ${spec.engine} job on the ${engine} queue.`);
  const nodeId = o.presence.identity.nodeId;
  const report = (p: Omit<RenderProgress, 'contract' | 'jobId' | 'nodeId' | 'at'>): Promise<void> =>
    job.updateProgress({
      contract: CONTRACT_VERSION,
      jobId: spec.jobId,
      nodeId,
      at: new Date().toISOString(),
      ...p,
    });

  const dir = await mkdtemp(join(tmpdir(), `vt-job-${spec.jobId}-`));
  o.presence.jobStarted(spec.jobId);
  try {
    await report({ stage: 'fetch', percent: 0 });
    const portrait = join(dir, 'portrait');
    const audio = join(dir, 'audio');
    await downloadInput(spec.inputs.portrait, portrait, 'portrait');
    await downloadInput(spec.inputs.audio, audio, 'audio');
    const out = join(dir, 'out');
    await mkdir(out);

    if (engine !== 'preview')
      throw new RenderError('ENGINE_UNAVAILABLE', `The ${engine} engine is not wired to the farm yet.`);
    let lastSent = 0;
    const result = await renderPreview(
      {
        imagePath: portrait,
        audioPath: audio,
        prompt: spec.settings.prompt,
        size: parseSize(spec.settings.size),
        fps: parseFps(spec.settings.fps),
      },
      {
        workDir: out,
        maxAudioSeconds: o.config.VT_MAX_AUDIO_SECONDS,
        x264Preset: o.config.VT_X264_PRESET,
        x264Crf: o.config.VT_X264_CRF,
        onProgress: (p) => {
          if (Date.now() - lastSent < 500 && p.fraction < 1) return;
          lastSent = Date.now();
          void report({
            stage: p.stage === 'analyse' ? 'analyse' : 'render',
            percent: FETCH_SHARE + p.fraction * (100 - FETCH_SHARE - UPLOAD_SHARE),
            framesDone: p.framesDone,
            framesTotal: p.framesTotal,
            etaSec: p.etaSec,
          });
        },
      },
    );
    const files = await buildOutputManifest(out);
    await report({ stage: 'upload', percent: 100 - UPLOAD_SHARE });
    await uploadOutputs(spec.outputs.uploadUrl, out, files, { retryForSec: o.uploadRetrySec });
    await report({ stage: 'upload', percent: 100 });
    return parseContract(
      RenderResultSchema,
      {
        contract: CONTRACT_VERSION,
        jobId: spec.jobId,
        nodeId,
        engine,
        durationSec: result.durationSec,
        files,
        notes: [...result.scene.notes, ...result.warnings],
      },
      'render result',
    );
  } catch (e) {
    // The author's message for bad input; BullMQ must not retry what will fail the same way.
    if (isRenderError(e) && e.permanent) throw new UnrecoverableError(`${e.message} [${e.code}]`);
    throw e;
  } finally {
    o.presence.jobEnded(spec.jobId);
    await rm(dir, { recursive: true, force: true });
  }
}
