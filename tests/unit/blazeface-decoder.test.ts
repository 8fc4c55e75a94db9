import {
  ANCHORS,
  ANCHOR_COUNT,
  decodeBlazeFace,
  iou,
  mapDetection,
  REGRESSOR_STRIDE,
  weightedNms,
  type FaceDetection,
} from '../../render-node/src/engines/preview/face/blazeface-decoder.js';

const logit = (p: number): number => Math.log(p / (1 - p));

function rawOutput(hits: Array<{ anchor: number; score: number; r: number[] }>): {
  scores: Float32Array;
  regressors: Float32Array;
} {
  const scores = new Float32Array(ANCHOR_COUNT).fill(-20);
  const regressors = new Float32Array(ANCHOR_COUNT * REGRESSOR_STRIDE);
  for (const h of hits) {
    scores[h.anchor] = logit(h.score);
    regressors.set(h.r, h.anchor * REGRESSOR_STRIDE);
  }
  return { scores, regressors };
}

describe('BlazeFace anchors', () => {
  it('lays 16×16×2 then 8×8×6 anchors, row-major', () => {
    expect(ANCHORS.length).toBe(896 * 2);
    expect([ANCHORS[0], ANCHORS[1]]).toEqual([0.5 / 16, 0.5 / 16]);
    expect([ANCHORS[2], ANCHORS[3]]).toEqual([0.5 / 16, 0.5 / 16]); // second anchor, same cell
    expect([ANCHORS[4], ANCHORS[5]]).toEqual([1.5 / 16, 0.5 / 16]); // next cell to the right
    expect([ANCHORS[2 * 32], ANCHORS[2 * 32 + 1]]).toEqual([0.5 / 16, 1.5 / 16]); // next row
    expect([ANCHORS[2 * 512], ANCHORS[2 * 512 + 1]]).toEqual([0.5 / 8, 0.5 / 8]); // second layer
    expect([ANCHORS[2 * 895], ANCHORS[2 * 895 + 1]]).toEqual([7.5 / 8, 7.5 / 8]);
  });
});

describe('decodeBlazeFace', () => {
  it('decodes box and keypoints relative to the anchor, in input pixels', () => {
    const anchor = 512 + 6 * (3 * 8 + 4); // layer 2, cell (x 4, y 3)
    const r = [8, -16, 64, 80, -10, -12, 10, -12, 0, 0, 0, 20, -30, -4, 30, -4];
    const [d] = decodeBlazeFace(
      rawOutput([{ anchor, score: 0.9, r }]).scores,
      rawOutput([{ anchor, score: 0.9, r }]).regressors,
      256,
    );
    const ax = 4.5 / 8;
    const ay = 3.5 / 8;
    expect(d!.score).toBeCloseTo(0.9, 5);
    expect(d!.x1).toBeCloseTo(ax + 8 / 256 - 32 / 256, 6);
    expect(d!.y2).toBeCloseTo(ay - 16 / 256 + 40 / 256, 6);
    expect(d!.keypoints.rightEye).toEqual({
      x: expect.closeTo(ax - 10 / 256, 6),
      y: expect.closeTo(ay - 12 / 256, 6),
    });
    expect(d!.keypoints.mouth.y).toBeCloseTo(ay + 20 / 256, 6);
    expect(d!.keypoints.leftEar.x).toBeCloseTo(ax + 30 / 256, 6);
  });

  it('drops scores under the threshold', () => {
    const { scores, regressors } = rawOutput([{ anchor: 10, score: 0.4, r: [0, 0, 20, 20] }]);
    expect(decodeBlazeFace(scores, regressors, 128)).toEqual([]);
  });

  it('merges overlapping detections by score-weighted average and keeps separate faces apart', () => {
    const { scores, regressors } = rawOutput([
      { anchor: 512 + 6 * 27, score: 0.9, r: [0, 0, 40, 40] },
      { anchor: 512 + 6 * 27 + 1, score: 0.6, r: [4, 0, 40, 40] },
      { anchor: 0, score: 0.8, r: [0, 0, 10, 10] },
    ]);
    const faces = decodeBlazeFace(scores, regressors, 128);
    expect(faces).toHaveLength(2);
    const big = faces[0]!;
    expect(big.score).toBeCloseTo(0.9, 5);
    // centre x shifted towards the second box by 0.6/(0.9+0.6) of its 4 px offset
    expect((big.x1 + big.x2) / 2).toBeCloseTo(ANCHORS[2 * (512 + 6 * 27)]! + (0.4 * 4) / 128, 5);
  });
});

describe('geometry helpers', () => {
  const box = (x1: number, y1: number, x2: number, y2: number, score = 1): FaceDetection => {
    const p = { x: 0, y: 0 };
    return {
      score,
      x1,
      y1,
      x2,
      y2,
      keypoints: { rightEye: p, leftEye: p, nose: p, mouth: p, rightEar: p, leftEar: p },
    };
  };
  it('computes IoU', () => {
    expect(iou(box(0, 0, 2, 2), box(1, 0, 3, 2))).toBeCloseTo(1 / 3);
    expect(iou(box(0, 0, 1, 1), box(2, 2, 3, 3))).toBe(0);
  });
  it('keeps the top score of a merged group', () => {
    expect(weightedNms([box(0, 0, 2, 2, 0.5), box(0, 0, 2, 2, 0.7)], 0.3)).toEqual([box(0, 0, 2, 2, 0.7)]);
  });
  it('maps detections through scale and offset', () => {
    expect(mapDetection(box(0.5, 0.25, 1, 1), 256, -10, 4)).toMatchObject({
      x1: 118,
      y1: 68,
      x2: 246,
      y2: 260,
    });
  });
});
