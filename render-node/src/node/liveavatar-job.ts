import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkFileName } from '../contract/render-job.js';
import {
  batchFileName,
  checkLiveAvatarSize,
  describeSettings,
  LIVEAVATAR_ENGINE_VERSION,
  progressText,
  renderLiveAvatar,
  STATE_FILE,
  type Attempt,
} from '../engines/liveavatar/liveavatar-engine.js';
import { RenderError } from '../contract/render-errors.js';
import { ENCODED_HLS_DIR, ENCODED_MP4 } from '../media/ffmpeg.js';
import {
  enginePercent,
  FETCH_SHARE,
  type EngineOutcome,
  type JobFiles,
  type RunContext,
} from './job-context.js';
import { JobChunks } from './job-chunks.js';

const REMOTE_STATE = 'state.json';

/**
 * The liveavatar engine on the farm. Each finished batch and the engine's state go to the tool as
 * chunks; a job restarted on any node fetches them back first, and the engine resumes after the last
 * finished batch instead of rendering hours of video again.
 */
export async function liveAvatarJob(job: JobFiles, ctx: RunContext): Promise<EngineOutcome> {
  const { spec, dir } = job;
  const { config, report, signal } = ctx;
  const rig = ctx.liveavatar;
  if (!rig) throw new RenderError('ENGINE_UNAVAILABLE', 'This render node does not run Live Avatar.');
  checkLiveAvatarSize(spec.settings.size);

  const chunks = new JobChunks(
    spec,
    config,
    [
      `liveavatar ${LIVEAVATAR_ENGINE_VERSION}`,
      spec.settings.size,
      config.VT_LIVEAVATAR_MAX_CLIPS ?? 'by memory',
    ],
    signal,
  );
  const work = join(dir, 'work');
  await mkdir(work);
  const resumed = await fetchState(chunks, work);
  if (resumed > 0)
    await report({
      stage: 'fetch',
      percent: FETCH_SHARE,
      message: `resumed after ${resumed} batch${resumed === 1 ? '' : 'es'} uploaded by an earlier attempt`,
    });

  let lastSent = 0;
  const result = await renderLiveAvatar(
    {
      imagePath: job.portrait,
      audioPath: job.audio,
      prompt: spec.settings.prompt,
      size: spec.settings.size,
    },
    {
      workDir: work,
      ...rig,
      hangSec: config.VT_LIVEAVATAR_HANG_SECONDS,
      maxClipsPerBatch: config.VT_LIVEAVATAR_MAX_CLIPS,
      signal,
      onProgress: (p) => {
        if (Date.now() - lastSent < 500 && p.clipsDone < p.clipsTotal) return;
        lastSent = Date.now();
        void report({
          stage: 'render',
          percent: enginePercent((p.batch + p.clipsDone / Math.max(1, p.clipsTotal)) / p.batches),
          message: progressText(p),
        });
      },
      onBatchDone: async (b) => {
        // The part first: a state naming a part the tool lacks would be useless to the next node.
        await chunks.upload(chunkFileName(b.index), b.file);
        await chunks.upload(REMOTE_STATE, b.stateFile, 'application/json');
        await report({
          stage: 'render',
          percent: enginePercent((b.index + 1) / b.batches),
          message: `batch ${b.index + 1} of ${b.batches} uploaded`,
        });
      },
    },
  );
  return {
    outDir: work,
    only: new Set([ENCODED_MP4, ENCODED_HLS_DIR, result.files.poster]),
    durationSec: result.durationSec,
    notes: [
      `delivered at ${describeSettings(result.delivered)} (${result.frame}) on ${rig.plan.summary}`,
      `${result.batches} batch${result.batches === 1 ? '' : 'es'}${resumed > 0 ? `, ${resumed} resumed from an earlier attempt` : ''}`,
      // The fallback steps and failures, so the author sees why the quality is what it is.
      ...result.history.filter((a) => a.outcome !== 'done' && a.outcome !== 'resumed').map(describe),
    ],
  };
}

const describe = (a: Attempt): string => `batch ${a.batch + 1} at ${describeSettings(a.settings)}: ${a.note}`;

/**
 * Fetches the engine's state and every part it names from the tool into the work folder; a part the
 * tool lacks is dropped from the state (it will be rendered again). Returns how many parts came back.
 */
async function fetchState(chunks: JobChunks, work: string): Promise<number> {
  const stateFile = join(work, STATE_FILE);
  if (!(await chunks.fetch(REMOTE_STATE, stateFile))) return 0;
  const state = JSON.parse(await readFile(stateFile, 'utf8')) as {
    done: Array<{ index: number; file: string }>;
  };
  const kept = [];
  for (const part of state.done) {
    // The local name is ours to choose, never a path taken from the fetched state.
    const file = batchFileName(part.index);
    if (await chunks.fetch(chunkFileName(part.index), join(work, file))) kept.push({ ...part, file });
  }
  state.done = kept;
  await writeFile(stateFile, JSON.stringify(state));
  return kept.length;
}
