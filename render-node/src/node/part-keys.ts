import { createHash } from 'node:crypto';
import { decodeAudio } from '../media/ffmpeg.js';

const RATE = 16_000;

/**
 * The parts a lesson's voice is rendered in, from the part starts the tool gave (seconds, at pauses
 * between paragraphs): where each starts, in frames, and a key of its audio (sha256 of its samples),
 * so a part spoken the same in another version of the lesson is recognised as the same part.
 */
export async function voiceParts(
  audioPath: string,
  startsSec: readonly number[],
  fps: number,
): Promise<{ starts: number[]; keys: string[] }> {
  const starts = [...new Set([0, ...startsSec.map((s) => Math.round(s * fps))])].sort((a, b) => a - b);
  const bounds = starts.map((f) => Math.round((f / fps) * RATE));
  const hashes = starts.map(() => createHash('sha256'));
  let n = 0;
  let part = 0;
  for await (const chunk of decodeAudio(audioPath, RATE)) {
    let at = 0;
    while (at < chunk.length) {
      while (part + 1 < bounds.length && n >= bounds[part + 1]!) part++;
      const take =
        part + 1 < bounds.length ? Math.min(chunk.length - at, bounds[part + 1]! - n) : chunk.length - at;
      const piece = chunk.subarray(at, at + take);
      hashes[part]!.update(new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength));
      at += take;
      n += take;
    }
  }
  return { starts, keys: hashes.map((h) => h.digest('hex').slice(0, 32)) };
}
