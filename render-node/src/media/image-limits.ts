import sharp from 'sharp';
import { RenderError } from '../contract/render-errors.js';

/**
 * The largest portrait accepted, checked from the file's header before any pixel is decoded: a 1 MB
 * PNG can declare 16383×16383 pixels (a gigabyte once decoded). 8192 px a side and 40 megapixels are
 * far beyond any camera portrait the engines can use.
 */
export const MAX_IMAGE_SIDE = 8192;
export const MAX_IMAGE_PIXELS = 40_000_000;

/** Every decode of a user's image passes this to sharp, which then refuses larger ones itself too. */
export const SHARP_INPUT_LIMITS = { limitInputPixels: MAX_IMAGE_PIXELS } as const;

/** The image's size from its header (nothing decoded); IMAGE_TOO_LARGE past the limits. */
export async function checkImageSize(input: Buffer | string): Promise<{ width: number; height: number }> {
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await sharp(input, { limitInputPixels: false }).metadata());
  } catch (e) {
    throw new RenderError('IMAGE_CORRUPT', 'The portrait image is damaged and cannot be read.', { cause: e });
  }
  if (!width || !height) throw new RenderError('IMAGE_CORRUPT', 'The portrait image has no size.');
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS)
    throw new RenderError(
      'IMAGE_TOO_LARGE',
      `The portrait is ${width}×${height} pixels; the limit is ${MAX_IMAGE_SIDE} pixels a side and ` +
        `${MAX_IMAGE_PIXELS / 1e6} megapixels. Scale it down (2048 pixels a side is plenty) and upload it again.`,
    );
  return { width, height };
}
