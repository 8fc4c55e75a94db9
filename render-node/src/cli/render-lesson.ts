import { createHash } from 'node:crypto';
import type { RenderNodeConfig } from '../config.js';
import {
  PREVIEW_ENGINE_VERSION,
  renderPreview,
  type PreviewRenderRequest,
  type PreviewRenderResult,
  type RenderProgress,
} from '../engines/preview/preview-engine.js';
import type { FaceAnalysis } from '../engines/preview/face/face-detector.js';
import type { LessonPaths } from '../media/lesson-output.js';
import { produceLesson } from './lesson-session.js';

export interface LessonMetadata extends Omit<PreviewRenderResult, 'files'> {
  /** Identifies the inputs and settings; a batch skips a lesson whose key has not changed. */
  readonly renderKey: string;
  readonly inputs: { readonly image: FileRef; readonly audio: FileRef };
  readonly files: { readonly mp4: string; readonly poster: string; readonly hlsPlaylist: string };
  readonly createdAt: string;
}
interface FileRef {
  readonly name: string;
  readonly sha256: string;
}

export function renderKey(imageSha: string, audioSha: string, req: PreviewRenderRequest): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        'preview',
        PREVIEW_ENGINE_VERSION,
        imageSha,
        audioSha,
        req.prompt,
        req.size.text,
        req.fps,
      ]),
    )
    .digest('hex');
}

export interface RenderLessonOptions {
  readonly config: RenderNodeConfig;
  readonly force?: boolean;
  readonly face?: FaceAnalysis;
  readonly imageSha?: string;
  readonly audioSha?: string;
  readonly onProgress?: (p: RenderProgress) => void;
  readonly onWorkDir?: (workDir: string) => void;
}

/**
 * Renders one lesson with the preview engine to `outMp4` and its siblings, all or nothing.
 */
export async function renderLesson(
  req: PreviewRenderRequest,
  outMp4: string,
  o: RenderLessonOptions,
): Promise<{ result: PreviewRenderResult; paths: LessonPaths }> {
  return produceLesson(
    outMp4,
    {
      imagePath: req.imagePath,
      audioPath: req.audioPath,
      force: o.force,
      imageSha: o.imageSha,
      audioSha: o.audioSha,
      onWorkDir: o.onWorkDir,
    },
    (workDir, signal) =>
      renderPreview(req, {
        workDir,
        maxAudioSeconds: o.config.VT_MAX_AUDIO_SECONDS,
        x264Preset: o.config.VT_X264_PRESET,
        x264Crf: o.config.VT_X264_CRF,
        face: o.face,
        signal,
        onProgress: o.onProgress,
      }),
    (result, { imageSha, audioSha }) => ({
      poster: result.files.poster,
      metadata: { ...result, renderKey: renderKey(imageSha, audioSha, req) },
    }),
  );
}
