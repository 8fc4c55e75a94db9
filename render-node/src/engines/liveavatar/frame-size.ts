/**
 * The frame Live Avatar really renders. Its `--size` is an area, not a frame: the pipeline picks the
 * largest height × width in multiples of 64 that keeps the portrait's aspect ratio within that area,
 * then resizes and centre-crops the portrait to it (`get_size_less_than_area` in the model's
 * causal_s2v_pipeline.py; shared/docs/liveavatar.md, corrections). A 3:4 portrait at 720*400 comes out
 * 448 × 640, not 720 × 400: memory, names, part checks and size steps all follow this frame.
 */
export interface Frame {
  readonly width: number;
  readonly height: number;
}

const DIVISOR = 64;

/** The area a `--size` value names ("720*400" → 288,000 pixels). */
export const areaOf = (size: string): number => {
  const [w, h] = size.split('*').map(Number) as [number, number];
  return w * h;
};

/** The model's frame for a portrait of `width` × `height` (upright) at `--size`. */
export function modelFrame(size: string, portrait: Frame): Frame {
  const [height, width] = sizeLessThanArea(portrait.height, portrait.width, areaOf(size));
  return { width, height };
}

export const frameName = (f: Frame): string => `${f.width}x${f.height}`;
export const sameFrame = (a: Frame, b: Frame): boolean => a.width === b.width && a.height === b.height;

/** The repository's rule, step for step (including its truncations), so our frame is its frame. */
function sizeLessThanArea(height: number, width: number, targetArea: number): [number, number] {
  let minScale: number;
  let maxScale: number;
  if (height * width <= targetArea) {
    minScale = 0.1;
    maxScale = 1;
  } else {
    const d = DIVISOR - 1;
    const b = d * (height + width);
    const a = height * width;
    const c = d ** 2 - targetArea;
    minScale = (-b + Math.sqrt(b ** 2 - 2 * a * c)) / (2 * a);
    maxScale = Math.sqrt(targetArea / (height * width));
  }
  for (let i = 0; i < 100; i++) {
    const scale = maxScale - ((maxScale - minScale) * i) / 100;
    const h = Math.trunc(height * scale);
    const w = Math.trunc(width * scale);
    const paddedH = h + ((DIVISOR - (h % DIVISOR)) % DIVISOR);
    const paddedW = w + ((DIVISOR - (w % DIVISOR)) % DIVISOR);
    if (paddedH * paddedW <= targetArea) return [paddedH, paddedW];
  }
  const aspect = width / height;
  let targetW = Math.floor(Math.sqrt(targetArea * aspect) / DIVISOR) * DIVISOR;
  let targetH = Math.floor(Math.sqrt(targetArea / aspect) / DIVISOR) * DIVISOR;
  if (targetW >= width || targetH >= height) {
    targetW = Math.floor(width / DIVISOR) * DIVISOR;
    targetH = Math.floor(height / DIVISOR) * DIVISOR;
  }
  return [targetH, targetW];
}
