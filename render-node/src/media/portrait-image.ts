import sharp, { type Sharp } from 'sharp';

/** A portrait as the engine sees it: turned upright by its EXIF orientation, opaque, sRGB. */
export const uprightRgb = (input: Buffer | string): Sharp =>
  sharp(input).rotate().removeAlpha().toColourspace('srgb');
