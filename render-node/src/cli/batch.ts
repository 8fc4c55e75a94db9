import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, parse, resolve } from 'node:path';
import type { RenderNodeConfig } from '../config.js';
import { analysePortrait, type PreviewRenderRequest } from '../engines/preview/preview-engine.js';
import { isRenderError } from '../contract/render-errors.js';
import { lessonPaths } from '../media/lesson-output.js';
import { sha256File } from '../media/file-hash.js';
import { renderKey, renderLesson, type LessonMetadata } from './render-lesson.js';

const AUDIO_EXTENSIONS = new Set(['.wav', '.mp3', '.m4a', '.aac', '.ogg', '.oga', '.opus', '.flac', '.webm']);

export interface BatchOptions {
  readonly imagePath: string;
  readonly outDir: string;
  readonly prompt: string;
  readonly size: PreviewRenderRequest['size'];
  readonly fps: number;
  readonly config: RenderNodeConfig;
  readonly log: (line: string) => void;
}

export interface BatchSummary {
  readonly rendered: number;
  readonly skipped: number;
  readonly failed: number;
}

/**
 * Renders every audio file of a folder against one portrait, one log line a file. A file whose
 * outputs already match its inputs (same render key) is skipped; a failure is logged and the batch
 * goes on.
 */
export async function renderBatch(folder: string, o: BatchOptions): Promise<BatchSummary> {
  const names = (await readdir(folder, { withFileTypes: true }))
    .filter((e) => e.isFile() && AUDIO_EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b));
  const stems = new Map<string, number>();
  for (const n of names) stems.set(parse(n).name, (stems.get(parse(n).name) ?? 0) + 1);
  const outName = (n: string): string => {
    const { name, ext } = parse(n);
    return `${stems.get(name)! > 1 ? `${name}-${ext.slice(1)}` : name}.mp4`;
  };

  // The portrait is checked and analysed once for the whole folder.
  const face = await analysePortrait(o.imagePath);
  const imageSha = await sha256File(o.imagePath);
  const summary = { rendered: 0, skipped: 0, failed: 0 };
  const width = String(names.length).length;
  for (const [i, name] of names.entries()) {
    const tag = `[${String(i + 1).padStart(width)}/${names.length}]`;
    const audioPath = resolve(folder, name);
    const out = join(o.outDir, outName(name));
    const req: PreviewRenderRequest = {
      imagePath: o.imagePath,
      audioPath,
      prompt: o.prompt,
      size: o.size,
      fps: o.fps,
    };
    try {
      const audioSha = await sha256File(audioPath);
      const key = renderKey(imageSha, audioSha, req);
      if (await alreadyRendered(out, key)) {
        summary.skipped++;
        o.log(`${tag} skip  ${name} (already rendered, unchanged)`);
        continue;
      }
      const { result } = await renderLesson(req, out, {
        config: o.config,
        force: true,
        face,
        imageSha,
        audioSha,
      });
      summary.rendered++;
      const speed = result.audioDurationSec / result.timings.totalSec;
      o.log(
        `${tag} ok    ${name} → ${outName(name)}  ${result.durationSec.toFixed(1)} s, ` +
          `${result.timings.totalSec.toFixed(1)} s to render (${speed.toFixed(1)}× real time)`,
      );
    } catch (e) {
      summary.failed++;
      const why = isRenderError(e) ? `${e.message} [${e.code}]` : (e as Error).message;
      o.log(`${tag} FAIL  ${name}: ${why}`);
    }
  }
  return summary;
}

async function alreadyRendered(outMp4: string, key: string): Promise<boolean> {
  const paths = lessonPaths(outMp4);
  if (!existsSync(paths.mp4) || !existsSync(paths.metadata)) return false;
  try {
    const meta = JSON.parse(await readFile(paths.metadata, 'utf8')) as Partial<LessonMetadata>;
    return meta.renderKey === key;
  } catch {
    return false;
  }
}
