import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkFileName } from '../contract/render-job.js';
import {
  PREVIEW_ENGINE_VERSION,
  renderPreview,
  type ChunkedRender,
} from '../engines/preview/preview-engine.js';
import { parseFps, parseSize } from '../render-size.js';
import {
  enginePercent,
  FETCH_SHARE,
  type EngineOutcome,
  type JobFiles,
  type RunContext,
} from './job-context.js';
import { JobChunks } from './job-chunks.js';
import { voiceParts } from './part-keys.js';

/**
 * The preview engine on the farm. A lesson is rendered in chunks, each uploaded as it finishes, then
 * joined and muxed. Chunks are either of a fixed length (a restarted job fetches back those an
 * earlier attempt uploaded and renders the rest) or, for a lesson spoken from a script, its voice's
 * parts between paragraphs: each keyed by its audio, so a part that an earlier render of the tenant
 * already made (an unchanged paragraph) is fetched instead of rendered again.
 */
export async function previewJob(job: JobFiles, ctx: RunContext): Promise<EngineOutcome> {
  const { spec, dir } = job;
  const { config, report, signal } = ctx;
  const fps = parseFps(spec.settings.fps);
  const plan = spec.settings.parts?.length
    ? await partPlan(job, ctx, fps)
    : await fixedPlan(job, ctx, fps, spec.settings.chunkSec * fps);

  const out = join(dir, 'out');
  await mkdir(out);
  let lastSent = 0;
  let lastPercent = FETCH_SHARE;
  const result = await renderPreview(
    {
      imagePath: job.portrait,
      audioPath: job.audio,
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
        ...plan.chunks,
        onChunk: async (index, file, count) => {
          await plan.chunks.onChunk(index, file, count);
          if (count > 1)
            await report({
              stage: 'render',
              percent: lastPercent,
              message: `chunk ${index + 1} of ${count} uploaded`,
            });
        },
      },
      onProgress: (p) => {
        lastPercent = enginePercent(p.fraction);
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
  return {
    outDir: out,
    durationSec: result.durationSec,
    notes: [...result.scene.notes, ...result.warnings, ...plan.notes()],
  };
}

interface ChunkPlan {
  readonly chunks: ChunkedRender;
  /** What the plan saved, for the render's notes. */
  readonly notes: () => string[];
}

const identity = (job: JobFiles, config: RunContext['config']): (string | number)[] => [
  `preview ${PREVIEW_ENGINE_VERSION}`,
  job.spec.settings.size,
  job.spec.settings.fps,
  config.VT_X264_PRESET,
  config.VT_X264_CRF,
];

/** Chunks of `frames` each; those an earlier attempt of this job uploaded are fetched back. */
async function fixedPlan(job: JobFiles, ctx: RunContext, fps: number, frames: number): Promise<ChunkPlan> {
  // Chunks are reused only by a node that would have made the very same ones.
  const chunks = new JobChunks(job.spec, ctx.config, [...identity(job, ctx.config), frames], ctx.signal);
  const dir = join(job.dir, chunks.prefix);
  await mkdir(dir, { recursive: true });
  let done = 0;
  while (await chunks.fetch(chunkFileName(done), join(dir, chunkFileName(done)))) done++;
  if (done > 0)
    await ctx.report({
      stage: 'fetch',
      percent: FETCH_SHARE,
      message: `resumed after ${done} chunk${done === 1 ? '' : 's'} uploaded by an earlier attempt`,
    });
  return {
    chunks: {
      starts: (total) => Array.from({ length: Math.max(1, Math.ceil(total / frames)) }, (_, i) => i * frames),
      dir,
      existing: async (i) => (i < done ? join(dir, chunkFileName(i)) : undefined),
      onChunk: (i, file) => chunks.upload(chunkFileName(i), file),
    },
    notes: () => (done > 0 ? [`resumed after ${done} finished chunk${done === 1 ? '' : 's'}`] : []),
  };
}

/**
 * The voice's parts (seconds from the tool, at pauses between paragraphs), keyed by their audio with
 * the presenter, scene and encoding: a part already made for this tenant is fetched, not rendered.
 */
async function partPlan(job: JobFiles, ctx: RunContext, fps: number): Promise<ChunkPlan> {
  const chunks = new JobChunks(
    job.spec,
    ctx.config,
    [...identity(job, ctx.config), 'parts', job.spec.inputs.portrait.sha256, job.spec.settings.prompt],
    ctx.signal,
  );
  const dir = join(job.dir, chunks.prefix);
  await mkdir(dir, { recursive: true });
  const { starts, keys } = await voiceParts(job.audio, job.spec.settings.parts!, fps);
  const name = (i: number): string => `part_${keys[i]}.mp4`;
  let reused = 0;
  return {
    chunks: {
      starts: (total) => starts.filter((f) => f < total),
      independent: true,
      dir,
      existing: async (i) => {
        const target = join(dir, name(i));
        if (!(await chunks.fetch(name(i), target))) return undefined;
        reused++;
        return target;
      },
      onChunk: (i, file) => chunks.upload(name(i), file),
    },
    notes: () => [
      `${reused} of ${starts.length} parts reused from earlier renders, ${starts.length - reused} rendered`,
    ],
  };
}
