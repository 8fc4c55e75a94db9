import type { FaceDetection } from '../face/blazeface-decoder.js';
import { smoothstep } from '../animation/random.js';

/**
 * Where each kind of motion acts, precomputed once per lesson over the region around the head (the
 * only part of the frame that moves). Each map holds, per pixel of that region, how strongly a motion
 * moves it; the frame renderer scales the maps by the frame's pose.
 */
export interface FaceRig {
  /** Region of interest (even-aligned, inside the frame). */
  readonly x0: number;
  readonly y0: number;
  readonly w: number;
  readonly h: number;
  /** Per ROI row: the first and one-past-last column that any motion touches. */
  readonly rowStart: Int32Array;
  readonly rowEnd: Int32Array;
  /** Rigid head motion weight (1 on the head, fading out around it). */
  readonly head: Float32Array;
  /** Jaw drop: moves the lower lip and chin down. */
  readonly jaw: Float32Array;
  /** Upper lip: rises a little as the mouth opens. */
  readonly upperLip: Float32Array;
  /** Lip spread: weight × (x − mouth x), so a scale factor widens or narrows the lips. */
  readonly lipsX: Float32Array;
  /** Geometry, in frame pixels. */
  readonly eyeDistance: number;
  readonly faceHeight: number;
  readonly mouth: { readonly x: number; readonly y: number };
  readonly eyes: ReadonlyArray<{ readonly x: number; readonly y: number }>;
  readonly pivot: { readonly x: number; readonly y: number };
}

export function buildFaceRig(face: FaceDetection, width: number, height: number): FaceRig {
  const k = face.keypoints;
  const fw = face.x2 - face.x1;
  const fh = face.y2 - face.y1;
  const cx = (face.x1 + face.x2) / 2;
  const cy = (face.y1 + face.y2) / 2;
  const d = Math.hypot(k.leftEye.x - k.rightEye.x, k.leftEye.y - k.rightEye.y);
  const m = k.mouth;
  const even = (v: number): number => Math.max(0, 2 * Math.floor(v / 2));
  const x0 = even(cx - 1.25 * fw);
  const y0 = even(face.y1 - 0.6 * fh);
  const x1 = Math.min(width, even(cx + 1.25 * fw + 2));
  const y1 = Math.min(height, even(face.y2 + 0.9 * fh + 2));
  const w = x1 - x0;
  const h = y1 - y0;
  const n = w * h;
  const head = new Float32Array(n);
  const jaw = new Float32Array(n);
  const upperLip = new Float32Array(n);
  const lipsX = new Float32Array(n);
  const rowStart = new Int32Array(h).fill(w);
  const rowEnd = new Int32Array(h);
  const eyes = [k.rightEye, k.leftEye];

  for (let ry = 0; ry < h; ry++) {
    const y = y0 + ry;
    // Jaw: from the lip line down past the chin, fading out on the neck.
    const jawV =
      smoothstep(m.y - 0.05 * d, m.y + 0.1 * d, y) * (1 - smoothstep(m.y + 0.6 * d, m.y + 1.3 * d, y));
    const upperV =
      smoothstep(m.y - 0.45 * d, m.y - 0.05 * d, y) * (1 - smoothstep(m.y - 0.05 * d, m.y + 0.02 * d, y));
    for (let rx = 0; rx < w; rx++) {
      const x = x0 + rx;
      const i = ry * w + rx;
      const e = Math.hypot((x - cx) / (0.95 * fw), (y - cy - 0.1 * fh) / (1.15 * fh));
      head[i] = 1 - smoothstep(0.72, 1.0, e);
      const mx = (x - m.x) / d;
      jaw[i] = jawV * Math.exp(-(mx * mx) / (0.8 * 0.8));
      upperLip[i] = upperV * Math.exp(-(mx * mx) / (0.55 * 0.55));
      const my = (y - m.y) / d;
      lipsX[i] = Math.exp(-(mx * mx) / (0.6 * 0.6) - (my * my) / (0.3 * 0.3)) * (x - m.x);
      if (head[i]! > 0 || jaw[i]! > 0) {
        rowStart[ry] = Math.min(rowStart[ry]!, rx);
        rowEnd[ry] = rx + 1;
      }
    }
  }
  return {
    x0,
    y0,
    w,
    h,
    rowStart,
    rowEnd,
    head,
    jaw,
    upperLip,
    lipsX,
    eyeDistance: d,
    faceHeight: fh,
    mouth: { x: m.x, y: m.y },
    eyes,
    pivot: { x: cx, y: face.y2 + 0.2 * fh },
  };
}
