import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkFileName } from '../contract/render-job.js';
import { PREVIEW_ENGINE_VERSION, renderPreview } from '../engines/preview/preview-engine.js';
import { parseFps, parseSize } from '../render-size.js';
import {
  enginePercent,
  FETCH_SHARE,
  type EngineOutcome,
  type JobFiles,
  type RunContext,
} from './job-context.js';
import { JobChunks } from './job-chunks.js';

/**
 * The preview engine on the farm: fetch back the chunks an earlier attempt uploaded, render the rest
 * chunk by chunk (each uploaded as it finishes), then join and mux.
 */
export async function previewJob(job: JobFiles, ctx: RunContext): Promise<EngineOutcome> {
  const { spec, dir } = job;
  const { config, report, signal } = ctx;
  const fps = parseFps(spec.settings.fps);
  const chunkFrames = spec.settings.chunkSec * fps;
  // Chunks are reused only by a node that would have made the very same ones.
  const chunks = new JobChunks(
    spec,
    config,
    [
      `preview ${PREVIEW_ENGINE_VERSION}`,
      spec.settings.size,
      spec.settings.fps,
      chunkFrames,
      config.VT_X264_PRESET,
      config.VT_X264_CRF,
    ],
    signal,
  );
  const chunkDir = join(dir, chunks.prefix);
  await mkdir(chunkDir, { recursive: true });
  let done = 0;
  while (await chunks.fetch(chunkFileName(done), join(chunkDir, chunkFileName(done)))) done++;
  if (done > 0)
    await report({
      stage: 'fetch',
      percent: FETCH_SHARE,
      message: `resumed after ${done} chunk${done === 1 ? '' : 's'} uploaded by an earlier attempt`,
    });

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
        frames: chunkFrames,
        dir: chunkDir,
        done,
        onChunk: async (index, file, count) => {
          await chunks.upload(chunkFileName(index), file);
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
    notes: [
      ...result.scene.notes,
      ...result.warnings,
      ...(done > 0 ? [`resumed after ${done} finished chunk${done === 1 ? '' : 's'}`] : []),
    ],
  };
}
