import { PREVIEW_SIZES } from './contract/render-sizes.js';
import { RenderError } from './contract/render-errors.js';

/** The preview engine's sizes (contract/render-sizes.ts). */
export const SUPPORTED_SIZES = PREVIEW_SIZES;
export type SizeString = (typeof SUPPORTED_SIZES)[number];

export interface FrameSize {
  readonly width: number;
  readonly height: number;
}

export function parseSize(text: string): FrameSize & { text: SizeString } {
  const normalised = text.trim().replace(/[xX×]/, '*');
  const known = SUPPORTED_SIZES.find((s) => s === normalised);
  if (!known) {
    throw new RenderError(
      'BAD_SIZE',
      `Unknown size "${text}". Use one of: ${SUPPORTED_SIZES.join(', ')} (width*height).`,
    );
  }
  const [width, height] = known.split('*').map(Number) as [number, number];
  return { width, height, text: known };
}

export function parseFps(value: string | number): number {
  const fps = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(fps) || fps < 10 || fps > 60) {
    throw new RenderError('BAD_FPS', `Frame rate must be a whole number from 10 to 60, not "${value}".`);
  }
  return fps;
}
