import type { RenderNodeConfig } from '../config.js';
import {
  checkLiveAvatarSize,
  progressText,
  renderLiveAvatar,
  type LiveAvatarResult,
} from '../engines/liveavatar/liveavatar-engine.js';
import { probeLiveAvatar } from '../engines/liveavatar/liveavatar-rig.js';
import { RenderError, isRenderError } from '../contract/render-errors.js';
import type { LessonPaths } from '../media/lesson-output.js';
import { produceLesson } from './lesson-session.js';

export interface LiveAvatarCliRequest {
  readonly imagePath: string;
  readonly audioPath: string;
  readonly prompt: string;
  readonly size: string;
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
  checkLiveAvatarSize(req.size);
  const { availability, rig } = await probeLiveAvatar(config);
  if (!rig) throw new RenderError('ENGINE_UNAVAILABLE', availability.reasons.join(' '));
  const { plan } = rig;

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
        },
        {
          workDir,
          ...rig,
          hangSec: config.VT_LIVEAVATAR_HANG_SECONDS,
          maxClipsPerBatch: config.VT_LIVEAVATAR_MAX_CLIPS,
          signal,
          onProgress: (p) => req.onProgress?.(progressText(p)),
        },
      ),
    (result) => ({
      poster: result.files.poster,
      metadata: { ...result, prompt: req.prompt, plan: plan.summary },
    }),
  );
}
