import sharp, { type Sharp } from 'sharp';
import { SHARP_INPUT_LIMITS } from './image-limits.js';

/** A portrait as the engine sees it: turned upright by its EXIF orientation, opaque, sRGB. */
export const uprightRgb = (input: Buffer | string): Sharp =>
  sharp(input, SHARP_INPUT_LIMITS).rotate().removeAlpha().toColourspace('srgb');
