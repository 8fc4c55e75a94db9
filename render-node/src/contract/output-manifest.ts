import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '../media/file-hash.js';
import type { OutputFile } from './render-job.js';

const TYPES: Record<string, { role: OutputFile['role']; contentType: string }> = {
  '.mp4': { role: 'mp4', contentType: 'video/mp4' },
  '.m3u8': { role: 'hls-playlist', contentType: 'application/vnd.apple.mpegurl' },
  '.ts': { role: 'hls-segment', contentType: 'video/mp2t' },
  '.jpg': { role: 'poster', contentType: 'image/jpeg' },
  '.vtt': { role: 'captions', contentType: 'text/vtt' },
  '.json': { role: 'metadata', contentType: 'application/json' },
};

/** An output's role and MIME type, from its file name; undefined for files that are not outputs. */
export const outputType = (name: string): { role: OutputFile['role']; contentType: string } | undefined =>
  TYPES[name.slice(name.lastIndexOf('.'))];

/**
 * Lists an engine's output folder as the result manifest: every file with its role, size and sha256,
 * so the tool can verify each upload before it marks the render done. Work files an engine keeps
 * (batches, state) have other extensions or names and are left out.
 */
export async function buildOutputManifest(dir: string, only?: ReadonlySet<string>): Promise<OutputFile[]> {
  const files: OutputFile[] = [];
  for (const entry of (await readdir(dir, { recursive: true, withFileTypes: true })).sort((a, b) =>
    join(a.parentPath, a.name).localeCompare(join(b.parentPath, b.name)),
  )) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const name = path.slice(dir.length + 1);
    if (only && !only.has(name) && !only.has(name.split('/')[0]!)) continue;
    const type = outputType(name);
    if (!type) continue;
    files.push({ name, ...type, bytes: (await stat(path)).size, sha256: await sha256File(path) });
  }
  return files;
}
