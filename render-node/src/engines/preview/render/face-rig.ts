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
  /** The ROI rectangle [mouthCol0, mouthCol1) × [mouthRow0, mouthRow1) holds all of the jaw and lip maps. */
  readonly mouthRow0: number;
  readonly mouthRow1: number;
  readonly mouthCol0: number;
  readonly mouthCol1: number;
  /** Farthest ROI corner from the pivot: bounds how far a head rotation moves any pixel. */
  readonly reach: number;
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

/** Gaussian tails under 1 % move pixels by a tenth of a pixel at most: cut them, and the mouth region shrinks. */
const tail = (w: number): number => (w < 0.01 ? 0 : w);

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
  let mouthRow0 = h;
  let mouthRow1 = 0;
  let mouthCol0 = w;
  let mouthCol1 = 0;
  const eyes = [k.rightEye, k.leftEye];

  // Built once per render, before the first frame: what depends on the column alone is computed once
  // per column, and a function is not evaluated where its value is known to be 0 or 1.
  const jawAcross = new Float64Array(w);
  const upperAcross = new Float64Array(w);
  for (let rx = 0; rx < w; rx++) {
    const mx = (x0 + rx - m.x) / d;
    jawAcross[rx] = Math.exp(-(mx * mx) / (0.8 * 0.8));
    upperAcross[rx] = Math.exp(-(mx * mx) / (0.55 * 0.55));
  }
  for (let ry = 0; ry < h; ry++) {
    const y = y0 + ry;
    // Jaw: from the lip line down past the chin, fading out on the neck.
    const jawV =
      smoothstep(m.y - 0.05 * d, m.y + 0.1 * d, y) * (1 - smoothstep(m.y + 0.6 * d, m.y + 1.3 * d, y));
    const upperV =
      smoothstep(m.y - 0.45 * d, m.y - 0.05 * d, y) * (1 - smoothstep(m.y - 0.05 * d, m.y + 0.02 * d, y));
    const my = (y - m.y) / d;
    // exp(−my²/0.3²) alone is below tail's 1 % on this row: the lips' spread is zero all along it.
    const lipsRow = (my * my) / (0.3 * 0.3) < 4.7;
    for (let rx = 0; rx < w; rx++) {
      const x = x0 + rx;
      const i = ry * w + rx;
      // The head's weight is 1 inside e = 0.72 and 0 beyond e = 1: the root only between them.
      const ex = (x - cx) / (0.82 * fw);
      const ey = (y - cy - 0.08 * fh) / (1.02 * fh);
      const e2 = ex * ex + ey * ey;
      head[i] = e2 >= 1.001 ? 0 : e2 <= 0.5 ? 1 : 1 - smoothstep(0.72, 1.0, Math.hypot(ex, ey));
      if (jawV !== 0) jaw[i] = tail(jawV * jawAcross[rx]!);
      if (upperV !== 0) upperLip[i] = tail(upperV * upperAcross[rx]!);
      if (lipsRow) {
        const mx = (x - m.x) / d;
        lipsX[i] = tail(Math.exp(-(mx * mx) / (0.6 * 0.6) - (my * my) / (0.3 * 0.3))) * (x - m.x);
      }
      if (jaw[i]! > 0 || upperLip[i]! > 0 || lipsX[i]! !== 0) {
        mouthRow0 = Math.min(mouthRow0, ry);
        mouthRow1 = ry + 1;
        mouthCol0 = Math.min(mouthCol0, rx);
        mouthCol1 = Math.max(mouthCol1, rx + 1);
      }
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
    mouthRow0,
    mouthRow1,
    mouthCol0: mouthCol0 - (mouthCol0 & 1),
    mouthCol1,
    reach: Math.max(
      ...[x0, x1].flatMap((x) => [y0, y1].map((y) => Math.hypot(x - cx, y - (face.y2 + 0.2 * fh)))),
    ),
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
