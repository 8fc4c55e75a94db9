import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOutputManifest } from '../contract/output-manifest.js';
import {
  CONTRACT_VERSION,
  parseContract,
  RenderResultSchema,
  type RenderJob,
  type RenderResult,
} from '../contract/render-job.js';
import { UPLOAD_SHARE, type EngineOutcome, type JobFiles, type RunContext } from './job-context.js';
import { liveAvatarJob } from './liveavatar-job.js';
import { previewJob } from './preview-job.js';
import { downloadInput, uploadOutputs } from './transfer.js';

export type { ProgressUpdate, RunContext } from './job-context.js';

const ENGINES: Record<RenderJob['engine'], (job: JobFiles, ctx: RunContext) => Promise<EngineOutcome>> = {
  preview: previewJob,
  liveavatar: liveAvatarJob,
};

/**
 * Runs one render job on this node: fetch the inputs over their signed URLs, let the job's engine
 * render (uploading resumable parts as it goes), upload the final outputs and return their manifest.
 * Scratch files live only for the job.
 */
export async function runRenderJob(spec: RenderJob, ctx: RunContext): Promise<RenderResult> {
  const { config, report, signal } = ctx;
  const dir = await mkdtemp(join(tmpdir(), `vt-job-${spec.jobId}-`));
  try {
    await report({ stage: 'fetch', percent: 0 });
    const job: JobFiles = { spec, dir, portrait: join(dir, 'portrait'), audio: join(dir, 'audio') };
    await downloadInput(spec.inputs.portrait, job.portrait, 'portrait');
    await downloadInput(spec.inputs.audio, job.audio, 'audio');

    const outcome = await ENGINES[spec.engine](job, ctx);

    const files = await buildOutputManifest(outcome.outDir, outcome.only);
    await report({ stage: 'upload', percent: 100 - UPLOAD_SHARE });
    await uploadOutputs(spec.outputs.uploadUrl, outcome.outDir, files, {
      retryForSec: config.VT_UPLOAD_RETRY_SEC,
      signal,
    });
    await report({ stage: 'upload', percent: 100 });
    return parseContract(
      RenderResultSchema,
      {
        contract: CONTRACT_VERSION,
        jobId: spec.jobId,
        nodeId: ctx.nodeId,
        engine: spec.engine,
        durationSec: outcome.durationSec,
        files,
        notes: outcome.notes,
      },
      'render result',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
