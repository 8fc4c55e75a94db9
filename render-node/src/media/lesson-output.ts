import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { RenderError } from '../contract/render-errors.js';
import { ENCODED_HLS_DIR, ENCODED_MP4 } from './ffmpeg.js';

/** The files of one lesson, named after its MP4: lesson.mp4, lesson.jpg, lesson.hls/, lesson.json. */
export interface LessonPaths {
  readonly mp4: string;
  readonly poster: string;
  readonly hlsDir: string;
  readonly metadata: string;
}

export function lessonPaths(outMp4: string): LessonPaths {
  const mp4 = resolve(outMp4);
  if (!/\.mp4$/i.test(mp4))
    throw new RenderError('BAD_OUTPUT', `The output must be an .mp4 file, not "${outMp4}".`);
  const stem = mp4.slice(0, -4);
  return { mp4, poster: `${stem}.jpg`, hlsDir: `${stem}.hls`, metadata: `${stem}.json` };
}

/**
 * Outputs are written in a hidden folder beside their final place and renamed into place only when
 * the render succeeded, the MP4 last: a failed or cancelled render leaves no lesson file behind.
 */
export class PendingLesson {
  private constructor(
    readonly paths: LessonPaths,
    readonly workDir: string,
    private readonly force: boolean,
  ) {}

  /**
   * @param options.resumable keep one work folder per output (`.NAME.mp4.work/`) and reuse it, so a
   *   render that failed part-way can pick up where it stopped; `discard()` still removes it.
   */
  static async create(
    outMp4: string,
    options: { force?: boolean; resumable?: boolean } = {},
  ): Promise<PendingLesson> {
    const paths = lessonPaths(outMp4);
    const taken = Object.values(paths).filter((p) => existsSync(p));
    if (taken.length > 0 && !options.force) {
      throw new RenderError(
        'OUTPUT_EXISTS',
        `${taken.map((p) => basename(p)).join(', ')} already exist${taken.length === 1 ? 's' : ''}; use --force to replace.`,
      );
    }
    await mkdir(dirname(paths.mp4), { recursive: true });
    let workDir: string;
    if (options.resumable) {
      workDir = join(dirname(paths.mp4), `.${basename(paths.mp4)}.work`);
      await mkdir(workDir, { recursive: true });
    } else {
      workDir = await mkdtemp(join(dirname(paths.mp4), `.${basename(paths.mp4)}.partial-`));
    }
    return new PendingLesson(paths, workDir, !!options.force);
  }

  /** Moves the finished outputs into place and writes the metadata beside them. */
  async commit(poster: string, metadata: object): Promise<void> {
    const moves: Array<[string, string]> = [
      [join(this.workDir, ENCODED_HLS_DIR), this.paths.hlsDir],
      [join(this.workDir, poster), this.paths.poster],
    ];
    for (const [from, to] of moves) {
      if (this.force) await rm(to, { recursive: true, force: true });
      await rename(from, to);
    }
    await writeFile(`${this.paths.metadata}.tmp`, JSON.stringify(metadata, null, 2));
    await rename(`${this.paths.metadata}.tmp`, this.paths.metadata);
    await rename(join(this.workDir, ENCODED_MP4), this.paths.mp4);
    await this.discard();
  }

  async discard(): Promise<void> {
    await rm(this.workDir, { recursive: true, force: true });
  }
}
