/** Planar yuv420p frames, BT.709 limited range (the output is tagged so). */
export interface YuvFrame {
  readonly width: number;
  readonly height: number;
  /** Y plane, then U, then V, as ffmpeg's rawvideo yuv420p expects. */
  readonly data: Buffer;
}

export const yuvFrameBytes = (width: number, height: number): number => (width * height * 3) / 2;

/**
 * Once per render, on the way to the first frame: written without per-pixel allocations. The block
 * sums are integers (exact in any order), so the bytes are those of the plain formula.
 */
export function rgbToYuv420(rgb: Buffer, width: number, height: number): YuvFrame {
  const data = Buffer.alloc(yuvFrameBytes(width, height));
  const cw = width / 2;
  const uOff = width * height;
  const vOff = uOff + cw * (height / 2);
  for (let p = 0, i = 0, n = width * height; p < n; p++, i += 3) {
    data[p] = Math.round(16 + 0.1826 * rgb[i]! + 0.6142 * rgb[i + 1]! + 0.062 * rgb[i + 2]!);
  }
  const row = width * 3;
  for (let y = 0; y < height / 2; y++) {
    for (let x = 0; x < cw; x++) {
      const i = 2 * y * row + 6 * x;
      const r = (rgb[i]! + rgb[i + 3]! + rgb[i + row]! + rgb[i + row + 3]!) / 4;
      const g = (rgb[i + 1]! + rgb[i + 4]! + rgb[i + row + 1]! + rgb[i + row + 4]!) / 4;
      const b = (rgb[i + 2]! + rgb[i + 5]! + rgb[i + row + 2]! + rgb[i + row + 5]!) / 4;
      data[uOff + y * cw + x] = Math.round(128 - 0.1006 * r - 0.3386 * g + 0.4392 * b);
      data[vOff + y * cw + x] = Math.round(128 + 0.4392 * r - 0.3989 * g - 0.0403 * b);
    }
  }
  return { width, height, data };
}
