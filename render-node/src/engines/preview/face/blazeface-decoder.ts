/**
 * Decodes BlazeFace's raw SSD output (MediaPipe's anchor scheme) into face boxes with six keypoints.
 * Pure functions of the model output, so they are tested without running the model.
 */

export interface Point {
  x: number;
  y: number;
}

/** Keypoints in MediaPipe's order. "Right" is the subject's right, which is on the image's left. */
export interface FaceKeypoints {
  rightEye: Point;
  leftEye: Point;
  nose: Point;
  mouth: Point;
  rightEar: Point;
  leftEar: Point;
}

export interface FaceDetection {
  score: number;
  /** Box corners. */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  keypoints: FaceKeypoints;
}

const KEYPOINT_NAMES = ['rightEye', 'leftEye', 'nose', 'mouth', 'rightEar', 'leftEar'] as const;
export const ANCHOR_COUNT = 896;
export const REGRESSOR_STRIDE = 16;

/**
 * 896 anchor centres in [0,1]: a 16×16 grid with 2 anchors a cell, then an 8×8 grid with 6, row-major
 * (y, x, anchor). Both BlazeFace models (front 128, back 256) share these grids; anchors have fixed
 * size 1, so only centres matter.
 */
export const ANCHORS: Float32Array = (() => {
  const out = new Float32Array(ANCHOR_COUNT * 2);
  let i = 0;
  for (const [cells, perCell] of [
    [16, 2],
    [8, 6],
  ] as const) {
    for (let y = 0; y < cells; y++)
      for (let x = 0; x < cells; x++)
        for (let a = 0; a < perCell; a++) {
          out[i++] = (x + 0.5) / cells;
          out[i++] = (y + 0.5) / cells;
        }
  }
  return out;
})();

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, v))));

/**
 * @param scores raw logits, one an anchor (both output layers concatenated)
 * @param regressors 16 values an anchor (box centre, size, six keypoints), in input pixels
 * @param inputSize the model's square input side (128 or 256)
 * @returns detections in normalised [0,1] coordinates of the square model input, merged by weighted NMS
 */
export function decodeBlazeFace(
  scores: Float32Array,
  regressors: Float32Array,
  inputSize: number,
  minScore = 0.5,
  iouThreshold = 0.3,
): FaceDetection[] {
  const candidates: FaceDetection[] = [];
  for (let i = 0; i < ANCHOR_COUNT; i++) {
    const score = sigmoid(scores[i]!);
    if (score < minScore) continue;
    const ax = ANCHORS[2 * i]!;
    const ay = ANCHORS[2 * i + 1]!;
    const r = regressors.subarray(i * REGRESSOR_STRIDE, (i + 1) * REGRESSOR_STRIDE);
    const cx = ax + r[0]! / inputSize;
    const cy = ay + r[1]! / inputSize;
    const w = r[2]! / inputSize;
    const h = r[3]! / inputSize;
    const keypoints = Object.fromEntries(
      KEYPOINT_NAMES.map((name, k) => [
        name,
        { x: ax + r[4 + 2 * k]! / inputSize, y: ay + r[5 + 2 * k]! / inputSize },
      ]),
    ) as unknown as FaceKeypoints;
    candidates.push({ score, x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, keypoints });
  }
  return weightedNms(candidates, iouThreshold);
}

export function iou(a: FaceDetection, b: FaceDetection): number {
  const ix = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const iy = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = ix * iy;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/** MediaPipe's weighted NMS: overlapping detections are averaged, weighted by score; the top score stays. */
export function weightedNms(detections: readonly FaceDetection[], iouThreshold: number): FaceDetection[] {
  const remaining = [...detections].sort((a, b) => b.score - a.score);
  const merged: FaceDetection[] = [];
  while (remaining.length > 0) {
    const top = remaining[0]!;
    const group = remaining.filter((d) => iou(top, d) > iouThreshold);
    const rest = remaining.filter((d) => iou(top, d) <= iouThreshold);
    const total = group.reduce((s, d) => s + d.score, 0);
    const avg = (f: (d: FaceDetection) => number): number =>
      group.reduce((s, d) => s + f(d) * d.score, 0) / total;
    const keypoints = Object.fromEntries(
      KEYPOINT_NAMES.map((n) => [n, { x: avg((d) => d.keypoints[n].x), y: avg((d) => d.keypoints[n].y) }]),
    ) as unknown as FaceKeypoints;
    merged.push({
      score: top.score,
      x1: avg((d) => d.x1),
      y1: avg((d) => d.y1),
      x2: avg((d) => d.x2),
      y2: avg((d) => d.y2),
      keypoints,
    });
    remaining.splice(0, remaining.length, ...rest);
  }
  return merged;
}

/** Maps a detection through an affine map (scale, then offset), e.g. from model input to image pixels. */
export function mapDetection(
  d: FaceDetection,
  scale: number,
  offsetX: number,
  offsetY: number,
): FaceDetection {
  const p = (q: Point): Point => ({ x: q.x * scale + offsetX, y: q.y * scale + offsetY });
  const keypoints = Object.fromEntries(
    KEYPOINT_NAMES.map((n) => [n, p(d.keypoints[n])]),
  ) as unknown as FaceKeypoints;
  const a = p({ x: d.x1, y: d.y1 });
  const b = p({ x: d.x2, y: d.y2 });
  return { score: d.score, x1: a.x, y1: a.y, x2: b.x, y2: b.y, keypoints };
}
