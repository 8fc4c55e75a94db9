import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RenderNodeConfig } from '../config.js';
import { buildOutputManifest } from '../contract/output-manifest.js';
import {
  CONTRACT_VERSION,
  parseContract,
  RenderResultSchema,
  type RenderJob,
  type RenderProgress,
  type RenderResult,
} from '../contract/render-job.js';
import { chunkFileName, PREVIEW_ENGINE_VERSION, renderPreview } from '../engines/preview/preview-engine.js';
import { RenderError } from '../errors.js';
import { sha256File } from '../media/file-hash.js';
import { parseFps, parseSize } from '../render-size.js';
import { downloadInput, fetchUploaded, uploadOutputs } from './transfer.js';

export type ProgressUpdate = Omit<RenderProgress, 'contract' | 'jobId' | 'nodeId' | 'at'>;

export interface RunContext {
  readonly config: RenderNodeConfig;
  readonly nodeId: string;
  readonly signal: AbortSignal;
  readonly report: (p: ProgressUpdate) => Promise<void>;
}

/** Share of a job's progress bar given to each stage (the render takes the rest). */
const FETCH_SHARE = 5;
const UPLOAD_SHARE = 5;

/**
 * Runs one render job on this node: fetch the inputs over their signed URLs, fetch back the chunks an
 * earlier attempt already uploaded, render the rest chunk by chunk (each uploaded as it finishes),
 * join, upload the final outputs and return their manifest. Scratch files live only for the job.
 */
export async function runRenderJob(spec: RenderJob, ctx: RunContext): Promise<RenderResult> {
  if (spec.engine !== 'preview')
    throw new RenderError('ENGINE_UNAVAILABLE', `The ${spec.engine} engine is not wired to the farm yet.`);
  const { config, report, signal } = ctx;
  const dir = await mkdtemp(join(tmpdir(), `vt-job-${spec.jobId}-`));
  try {
    await report({ stage: 'fetch', percent: 0 });
    const portrait = join(dir, 'portrait');
    const audio = join(dir, 'audio');
    await downloadInput(spec.inputs.portrait, portrait, 'portrait');
    await downloadInput(spec.inputs.audio, audio, 'audio');
    const out = join(dir, 'out');
    await mkdir(out);

    const fps = parseFps(spec.settings.fps);
    const chunkFrames = spec.settings.chunkSec * fps;
    const chunkPrefix = `chunks/${chunkSetKey(spec, chunkFrames, config)}`;
    const chunkDir = join(dir, chunkPrefix);
    await mkdir(chunkDir, { recursive: true });
    const done = await fetchFinishedChunks(spec.outputs.uploadUrl, chunkPrefix, chunkDir);
    if (done > 0)
      await report({
        stage: 'fetch',
        percent: FETCH_SHARE,
        message: `resumed after ${done} chunk${done === 1 ? '' : 's'} uploaded by an earlier attempt`,
      });

    let lastSent = 0;
    let lastPercent = FETCH_SHARE;
    const result = await renderPreview(
      {
        imagePath: portrait,
        audioPath: audio,
        prompt: spec.settings.prompt,
        size: parseSize(spec.settings.size),
        fps,
      },
      {
        workDir: out,
        maxAudioSeconds: config.VT_MAX_AUDIO_SECONDS,
        x264Preset: config.VT_X264_PRESET,
        x264Crf: config.VT_X264_CRF,
        signal,
        chunks: {
          frames: chunkFrames,
          dir: chunkDir,
          done,
          onChunk: async (index, file, count) => {
            const name = `${chunkPrefix}/${chunkFileName(index)}`;
            const chunk = {
              name,
              role: 'chunk' as const,
              bytes: (await stat(file)).size,
              sha256: await sha256File(file),
              contentType: 'video/mp4',
            };
            await uploadOutputs(spec.outputs.uploadUrl, dir, [chunk], {
              retryForSec: config.VT_UPLOAD_RETRY_SEC,
              signal,
            });
            if (count > 1)
              await report({
                stage: 'render',
                percent: lastPercent,
                message: `chunk ${index + 1} of ${count} uploaded`,
              });
          },
        },
        onProgress: (p) => {
          lastPercent = FETCH_SHARE + p.fraction * (100 - FETCH_SHARE - UPLOAD_SHARE);
          if (Date.now() - lastSent < 500 && p.fraction < 1) return;
          lastSent = Date.now();
          void report({
            stage: p.stage,
            percent: lastPercent,
            framesDone: p.framesDone,
            framesTotal: p.framesTotal,
            etaSec: p.etaSec,
          });
        },
      },
    );
    const files = await buildOutputManifest(out);
    await report({ stage: 'upload', percent: 100 - UPLOAD_SHARE });
    await uploadOutputs(spec.outputs.uploadUrl, out, files, {
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
        durationSec: result.durationSec,
        files,
        notes: [
          ...result.scene.notes,
          ...result.warnings,
          ...(done > 0 ? [`resumed after ${done} finished chunk${done === 1 ? '' : 's'}`] : []),
        ],
      },
      'render result',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Chunks are reused only by a node that would have made the very same ones: same engine version, frame
 * size and rate, encoder settings and chunk length. Another node's differently encoded chunks could not
 * be joined without re-encoding, so they go in another folder.
 */
function chunkSetKey(spec: RenderJob, chunkFrames: number, c: RenderNodeConfig): string {
  const parts = [
    `preview ${PREVIEW_ENGINE_VERSION}`,
    spec.settings.size,
    spec.settings.fps,
    chunkFrames,
    c.VT_X264_PRESET,
    c.VT_X264_CRF,
  ];
  return createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 16);
}

/** Downloads the chunks uploaded before, from the first, until the first missing one; returns how many. */
async function fetchFinishedChunks(uploadUrl: string, prefix: string, dir: string): Promise<number> {
  let n = 0;
  while (await fetchUploaded(uploadUrl, `${prefix}/${chunkFileName(n)}`, join(dir, chunkFileName(n)))) n++;
  return n;
}
