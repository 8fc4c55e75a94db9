import type { RenderNodeConfig } from '../config.js';
import { liveAvatarAvailability } from '../engines/liveavatar/availability.js';
import { LIVEAVATAR } from '../engines/liveavatar/cli-flags.js';
import { detectGpus, p2pUnreliable, parseTopology, readTopology } from '../engines/liveavatar/gpu-detect.js';
import { renderLiveAvatar, type LiveAvatarResult } from '../engines/liveavatar/liveavatar-engine.js';
import { RenderError, isRenderError } from '../errors.js';
import type { LessonPaths } from '../media/lesson-output.js';
import { produceLesson } from './lesson-session.js';

export interface LiveAvatarCliRequest {
  readonly imagePath: string;
  readonly audioPath: string;
  readonly prompt: string;
  readonly size: string;
  readonly sampleSteps: number;
  readonly force?: boolean;
  readonly onProgress?: (text: string) => void;
}

/**
 * Renders one lesson with the liveavatar engine on this machine's GPUs. The work folder survives a
 * failure worth retrying (the model hung or crashed), so running the same command again resumes after
 * the last finished batch; a permanent failure or success removes it.
 */
export async function renderLessonWithLiveAvatar(
  req: LiveAvatarCliRequest,
  outMp4: string,
  config: RenderNodeConfig,
): Promise<{ result: LiveAvatarResult; paths: LessonPaths }> {
  if (!(LIVEAVATAR.sizes as readonly string[]).includes(req.size)) {
    throw new RenderError(
      'BAD_SIZE',
      `The liveavatar engine renders ${LIVEAVATAR.sizes.join(', ')}; not ${req.size}.`,
    );
  }
  const inventory = await detectGpus(config.VT_NVIDIA_SMI);
  const install = {
    repoDir: config.VT_LIVEAVATAR_REPO,
    ckptDir: config.VT_LIVEAVATAR_CKPT,
    loraFile: config.VT_LIVEAVATAR_LORA,
    torchrun: config.VT_LIVEAVATAR_TORCHRUN,
  };
  const availability = liveAvatarAvailability(inventory, install);
  if (!availability.available || !availability.plan?.ok) {
    throw new RenderError('ENGINE_UNAVAILABLE', availability.reasons.join(' '));
  }
  const plan = availability.plan.plan;
  const topology = await readTopology(config.VT_NVIDIA_SMI);

  return produceLesson(
    outMp4,
    {
      imagePath: req.imagePath,
      audioPath: req.audioPath,
      force: req.force,
      resumable: true,
      // Keep the finished batches when another try can use them.
      keepWorkOn: (e) => isRenderError(e) && !e.permanent,
    },
    (workDir, signal) =>
      renderLiveAvatar(
        {
          imagePath: req.imagePath,
          audioPath: req.audioPath,
          prompt: req.prompt,
          size: req.size,
          sampleSteps: req.sampleSteps,
        },
        {
          workDir,
          plan,
          install,
          p2pWorks: !p2pUnreliable(parseTopology(topology), plan.gpus),
          hangSec: config.VT_LIVEAVATAR_HANG_SECONDS,
          maxClipsPerBatch: config.VT_LIVEAVATAR_MAX_CLIPS,
          signal,
          onProgress: (p) =>
            req.onProgress?.(`batch ${p.batch + 1}/${p.batches}: ${p.clipsDone}/${p.clipsTotal} clips`),
        },
      ),
    (result) => ({
      poster: result.files.poster,
      metadata: { ...result, prompt: req.prompt, plan: plan.summary },
    }),
  );
}
