import { basename } from 'node:path';
import { sha256File } from '../media/file-hash.js';
import { PendingLesson, type LessonPaths } from '../media/lesson-output.js';

export interface InputHashes {
  readonly imageSha: string;
  readonly audioSha: string;
}

export interface LessonSessionOptions {
  readonly imagePath: string;
  readonly audioPath: string;
  readonly force?: boolean;
  /** One work folder per output, kept after failures `keepWorkOn` accepts, so a re-run resumes. */
  readonly resumable?: boolean;
  readonly keepWorkOn?: (error: unknown) => boolean;
  /** Already known (a batch hashes its portrait once, and each audio file for its skip check). */
  readonly imageSha?: string;
  readonly audioSha?: string;
  readonly onWorkDir?: (workDir: string) => void;
}

/**
 * The life of one lesson on the command line, whatever the engine: outputs are written in a work
 * folder and moved into place only when the render succeeded; Ctrl-C or SIGTERM cancel it; the
 * metadata beside the MP4 names the inputs by sha256 and the files by their final names.
 */
export async function produceLesson<R>(
  outMp4: string,
  o: LessonSessionOptions,
  render: (workDir: string, signal: AbortSignal) => Promise<R>,
  describe: (result: R, inputs: InputHashes) => { poster: string; metadata: object },
): Promise<{ result: R; paths: LessonPaths }> {
  const pending = await PendingLesson.create(outMp4, { force: o.force, resumable: o.resumable });
  const controller = new AbortController();
  const cancel = (): void => controller.abort();
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  try {
    o.onWorkDir?.(pending.workDir);
    const result = await render(pending.workDir, controller.signal);
    // Hashed once the inputs are known to be readable media.
    const [imageSha, audioSha] = await Promise.all([
      o.imageSha ?? sha256File(o.imagePath),
      o.audioSha ?? sha256File(o.audioPath),
    ]);
    const { poster, metadata } = describe(result, { imageSha, audioSha });
    const p = pending.paths;
    await pending.commit(poster, {
      ...metadata,
      inputs: {
        image: { name: basename(o.imagePath), sha256: imageSha },
        audio: { name: basename(o.audioPath), sha256: audioSha },
      },
      files: {
        mp4: basename(p.mp4),
        poster: basename(p.poster),
        hlsPlaylist: `${basename(p.hlsDir)}/index.m3u8`,
      },
      createdAt: new Date().toISOString(),
    });
    return { result, paths: pending.paths };
  } catch (e) {
    if (!o.keepWorkOn?.(e)) await pending.discard();
    throw e;
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
  }
}
