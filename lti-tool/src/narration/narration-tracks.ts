import type { NarrationRecord } from './narration-service.js';

/** The captions' file name beside a render's files: captions.<language>.vtt. */
export const captionsName = (n: NarrationRecord): string => `captions.${n.language}.vtt`;

/**
 * The text track a render's file name stands for, from its version's narration: the captions
 * (captions.<language>.vtt) or the chapters (chapters.vtt); undefined for any other name.
 */
export function narrationTrack(n: NarrationRecord | null, name: string): string | undefined {
  if (!n) return undefined;
  if (name === captionsName(n)) return n.captions;
  if (name === 'chapters.vtt') return n.chapters;
  return undefined;
}
