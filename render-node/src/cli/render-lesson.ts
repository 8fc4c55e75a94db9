import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { RenderNodeConfig } from '../config.js';
import {
  PREVIEW_ENGINE_VERSION,
  renderPreview,
  type PreviewRenderRequest,
  type PreviewRenderResult,
  type RenderProgress,
} from '../engines/preview/preview-engine.js';
import type { FaceAnalysis } from '../engines/preview/face/face-detector.js';
import { PendingLesson, type LessonPaths } from '../media/lesson-output.js';

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

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
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
  readonly onProgress?: (p: RenderProgress) => void;
  readonly onWorkDir?: (workDir: string) => void;
}

/**
 * Renders one lesson to `outMp4` and its siblings, all or nothing. Ctrl-C or SIGTERM cancel the render
 * and remove what it had written.
 */
export async function renderLesson(
  req: PreviewRenderRequest,
  outMp4: string,
  o: RenderLessonOptions,
): Promise<{ result: PreviewRenderResult; paths: LessonPaths }> {
  const pending = await PendingLesson.create(outMp4, { force: o.force });
  const controller = new AbortController();
  const cancel = (): void => controller.abort();
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  try {
    o.onWorkDir?.(pending.workDir);
    const result = await renderPreview(req, {
      workDir: pending.workDir,
      maxAudioSeconds: o.config.VT_MAX_AUDIO_SECONDS,
      x264Preset: o.config.VT_X264_PRESET,
      x264Crf: o.config.VT_X264_CRF,
      face: o.face,
      signal: controller.signal,
      onProgress: o.onProgress,
    });
    // Hashed once the inputs are known to be readable media.
    const [imageSha, audioSha] = await Promise.all([
      o.imageSha ?? sha256File(req.imagePath),
      sha256File(req.audioPath),
    ]);
    const p = pending.paths;
    const metadata: LessonMetadata = {
      ...result,
      renderKey: renderKey(imageSha, audioSha, req),
      inputs: {
        image: { name: basename(req.imagePath), sha256: imageSha },
        audio: { name: basename(req.audioPath), sha256: audioSha },
      },
      files: {
        mp4: basename(p.mp4),
        poster: basename(p.poster),
        hlsPlaylist: `${basename(p.hlsDir)}/index.m3u8`,
      },
      createdAt: new Date().toISOString(),
    };
    await pending.commit(result.files.poster, metadata);
    return { result, paths: pending.paths };
  } catch (e) {
    await pending.discard();
    throw e;
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
  }
}
