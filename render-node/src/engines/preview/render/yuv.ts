/** Planar yuv420p frames, BT.709 limited range (the output is tagged so). */
export interface YuvFrame {
  readonly width: number;
  readonly height: number;
  /** Y plane, then U, then V, as ffmpeg's rawvideo yuv420p expects. */
  readonly data: Buffer;
}

export const yuvFrameBytes = (width: number, height: number): number => (width * height * 3) / 2;

export function rgbToYuv420(rgb: Buffer, width: number, height: number): YuvFrame {
  const data = Buffer.alloc(yuvFrameBytes(width, height));
  const cw = width / 2;
  const uOff = width * height;
  const vOff = uOff + cw * (height / 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[y * width + x] = Math.round(16 + 0.1826 * rgb[i]! + 0.6142 * rgb[i + 1]! + 0.062 * rgb[i + 2]!);
    }
  }
  for (let y = 0; y < height / 2; y++) {
    for (let x = 0; x < cw; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [ox, oy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        const i = ((2 * y + oy) * width + 2 * x + ox) * 3;
        r += rgb[i]!;
        g += rgb[i + 1]!;
        b += rgb[i + 2]!;
      }
      r /= 4;
      g /= 4;
      b /= 4;
      data[uOff + y * cw + x] = Math.round(128 - 0.1006 * r - 0.3386 * g + 0.4392 * b);
      data[vOff + y * cw + x] = Math.round(128 + 0.4392 * r - 0.3989 * g - 0.0403 * b);
    }
  }
  return { width, height, data };
}
