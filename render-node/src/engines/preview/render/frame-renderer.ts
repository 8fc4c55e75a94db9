import { smoothstep } from '../animation/random.js';
import type { FaceRig } from './face-rig.js';
import { yuvFrameBytes, type YuvFrame } from './yuv.js';

/** Pose of one frame. Head offsets are in face heights; the rest are 0–1. */
export interface FramePose {
  headX: number;
  headY: number;
  roll: number;
  open: number;
  spread: number;
  round: number;
  blink: number;
}

/** Jaw drop at a fully open mouth, in eye distances (about a tenth of the face height). */
const JAW_DROP = 0.24;
const UPPER_LIP_RISE = 0.05;
const SPREAD_SCALE = 0.12;
const ROUND_SCALE = 0.18;
/** Head motion is redrawn in steps of at most a quarter pixel, the precision H.264 itself moves pixels by. */
const HEAD_STEP_PX = 0.25;

/**
 * Draws frames by warping the still base frame around the face: rigid head motion, jaw and lips, and
 * eyelids, then shades the opening of the mouth. Works on yuv420p planes directly (what the encoder
 * takes) and only inside the face region; the rest of each frame is a copy of the base. Every frame is
 * a pure function of its pose, so any range of frames can be rendered on its own.
 */
export class FrameRenderer {
  private readonly dx: Float32Array;
  private readonly dy: Float32Array;
  readonly frameBytes: number;
  /** The base frame with only the head moved, to `headPose`; redrawn when the head has moved on. */
  private readonly headLayer: Buffer;
  private headPose: FramePose | undefined;

  constructor(
    private readonly base: YuvFrame,
    private readonly rig: FaceRig,
  ) {
    this.dx = new Float32Array(rig.w * rig.h);
    this.dy = new Float32Array(rig.w * rig.h);
    this.frameBytes = yuvFrameBytes(base.width, base.height);
    this.headLayer = Buffer.from(base.data);
  }

  render(pose: FramePose): Buffer {
    const head = this.headFor(pose);
    const p: FramePose = { ...pose, headX: head.headX, headY: head.headY, roll: head.roll };
    const out = Buffer.allocUnsafe(this.frameBytes);
    this.headLayer.copy(out);
    if (p.open > 1e-3 || Math.abs(p.spread * SPREAD_SCALE - p.round * ROUND_SCALE) > 1e-3) {
      // Only the mouth region differs from the head layer: redraw it with the full warp.
      const { mouthRow0, mouthRow1, mouthCol0, mouthCol1 } = this.rig;
      this.warpLuma(p, out, mouthRow0, mouthRow1, mouthCol0, mouthCol1);
      this.warpChroma(out, mouthRow0, mouthRow1, mouthCol0, mouthCol1);
      this.shadeMouth(p, out);
    }
    this.closeLids(p, out);
    return out;
  }

  /**
   * The head moves slowly (hundredths of a pixel a frame when idle), so its warp is redrawn only
   * once any pixel would move by more than HEAD_STEP_PX; until then the frame uses the pose the layer
   * was drawn at. Every part of a frame uses that same pose, so nothing tears.
   */
  private headFor(pose: FramePose): FramePose {
    const last = this.headPose;
    const moved =
      last === undefined
        ? Infinity
        : Math.hypot(pose.headX - last.headX, pose.headY - last.headY) * this.rig.faceHeight +
          Math.abs(pose.roll - last.roll) * this.rig.reach;
    if (moved > HEAD_STEP_PX) {
      const headOnly: FramePose = { ...pose, open: 0, spread: 0, round: 0, blink: 0 };
      this.base.data.copy(this.headLayer);
      this.warpLuma(headOnly, this.headLayer, 0, this.rig.h, 0, this.rig.w);
      this.warpChroma(this.headLayer, 0, this.rig.h, 0, this.rig.w);
      this.headPose = headOnly;
    }
    return this.headPose!;
  }

  /** Warps luma inside ROI rows [row0, row1) and columns [col0, col1) into `out`. */
  private warpLuma(p: FramePose, out: Buffer, row0: number, row1: number, col0: number, col1: number): void {
    const { rig, dx, dy } = this;
    const W = this.base.width;
    const maxX = W - 1.001;
    const maxY = this.base.height - 1.001;
    const src = this.base.data;
    const tx = p.headX * rig.faceHeight;
    const ty = p.headY * rig.faceHeight;
    const c = Math.cos(p.roll);
    const s = Math.sin(p.roll);
    const px = rig.pivot.x;
    const py = rig.pivot.y;
    const jaw = p.open * JAW_DROP * rig.eyeDistance;
    const lip = p.open * UPPER_LIP_RISE * rig.eyeDistance;
    const lipScale = p.spread * SPREAD_SCALE - p.round * ROUND_SCALE;
    const { head, jaw: jawW, upperLip, lipsX, rowStart, rowEnd, w, x0, y0, mouthRow0, mouthRow1 } = rig;
    // The inverse rigid motion (shift, then rotate about the neck) of pixel (x, y) moves it by
    // (kx·x + bx, −s·x + by), with bx and by fixed for a row; the head weight blends it in.
    const kx = c - 1;
    for (let ry = row0; ry < row1; ry++) {
      const y = y0 + ry;
      const uy = y - ty - py;
      const bx = px - c * (tx + px) + s * uy;
      const by = py + s * (tx + px) + c * uy - y;
      const rowOut = y * W;
      const mouthRow = ry >= mouthRow0 && ry < mouthRow1;
      const start = Math.max(col0, rowStart[ry]!);
      for (let rx = start, end = Math.min(col1, rowEnd[ry]!), i = ry * w + rx; rx < end; rx++, i++) {
        const x = x0 + rx;
        const wh = head[i]!;
        let sx = x + wh * (kx * x + bx);
        let sy = y + wh * (by - s * x);
        if (mouthRow) {
          sy -= jaw * jawW[i]! - lip * upperLip[i]!;
          sx -= lipScale * lipsX[i]!;
        }
        if (sx < 0) sx = 0;
        else if (sx > maxX) sx = maxX;
        if (sy < 0) sy = 0;
        else if (sy > maxY) sy = maxY;
        dx[i] = x - sx;
        dy[i] = y - sy;
        const ix = sx | 0;
        const iy = sy | 0;
        const fx = sx - ix;
        const fy = sy - iy;
        const k = iy * W + ix;
        const top = src[k]! + (src[k + 1]! - src[k]!) * fx;
        const bottom = src[k + W]! + (src[k + W + 1]! - src[k + W]!) * fx;
        out[rowOut + x] = (top + (bottom - top) * fy + 0.5) | 0;
      }
    }
  }

  /**
   * Chroma at half resolution follows the luma displacement of its top-left luma sample. U and V are
   * sampled at the same point: it is found (and clamped) once for both.
   */
  private warpChroma(out: Buffer, row0: number, row1: number, col0: number, col1: number): void {
    const { rig, dx, dy } = this;
    const { rowStart, rowEnd, w, x0, y0 } = rig;
    const W = this.base.width;
    const cw = W / 2;
    const ch = this.base.height / 2;
    const maxX = cw - 1.001;
    const maxY = ch - 1.001;
    const src = this.base.data;
    const u = W * this.base.height;
    const v = u + cw * ch;
    for (let ry = row0 + (row0 & 1); ry < row1; ry += 2) {
      const cy = (y0 + ry) / 2;
      const start = Math.max(col0, rowStart[ry]!);
      for (let rx = start + (start & 1), end = Math.min(col1, rowEnd[ry]!); rx < end; rx += 2) {
        const i = ry * w + rx;
        const cx = (x0 + rx) / 2;
        let sx = cx - dx[i]! / 2;
        let sy = cy - dy[i]! / 2;
        if (sx < 0) sx = 0;
        else if (sx > maxX) sx = maxX;
        if (sy < 0) sy = 0;
        else if (sy > maxY) sy = maxY;
        const at = cy * cw + cx;
        out[u + at] = (bilinear(src, u, cw, sx, sy) + 0.5) | 0;
        out[v + at] = (bilinear(src, v, cw, sx, sy) + 0.5) | 0;
      }
    }
  }

  /** Where a point of the base frame is in this frame, after the rigid head motion. */
  private moved(p: FramePose, x: number, y: number): { x: number; y: number } {
    const { pivot, faceHeight } = this.rig;
    const c = Math.cos(p.roll);
    const s = Math.sin(p.roll);
    const ux = x - pivot.x;
    const uy = y - pivot.y;
    return {
      x: pivot.x + c * ux - s * uy + p.headX * faceHeight,
      y: pivot.y + s * ux + c * uy + p.headY * faceHeight,
    };
  }

  /** The opening between the lips: dark mouth interior, a hint of upper teeth when wide open. */
  private shadeMouth(p: FramePose, out: Buffer): void {
    const d = this.rig.eyeDistance;
    const jaw = p.open * JAW_DROP * d;
    const lip = p.open * UPPER_LIP_RISE * d;
    const halfH = (jaw + lip) * 0.45;
    if (halfH < 0.6) return;
    const m = this.moved(p, this.rig.mouth.x, this.rig.mouth.y);
    const cx = m.x;
    const cy = m.y + (jaw - lip) * 0.5;
    const halfW = 0.3 * d * (1 + 0.35 * p.spread - 0.4 * p.round);
    const teeth = Math.min(1, Math.max(0, (p.open - 0.3) * 2.5));
    const W = this.base.width;
    const H = this.base.height;
    const cw = W / 2;
    const uPlane = W * H;
    const vPlane = uPlane + cw * (H / 2);
    const xa = Math.max(0, Math.floor(cx - halfW));
    const xb = Math.min(W - 1, Math.ceil(cx + halfW));
    const ya = Math.max(0, Math.floor(cy - halfH));
    const yb = Math.min(H - 1, Math.ceil(cy + halfH));
    for (let y = ya; y <= yb; y++) {
      const ey = (y - cy) / halfH;
      for (let x = xa; x <= xb; x++) {
        const ex = (x - cx) / halfW;
        const r = ex * ex + ey * ey;
        if (r >= 1) continue;
        const a = r < 0.55 ? 1 : 1 - (r - 0.55) / 0.45;
        const isTeeth = ey < -0.35 ? teeth : 0;
        const target = 34 + isTeeth * 150;
        const k = y * W + x;
        out[k] = (out[k]! + (target - out[k]!) * a * (0.88 - 0.2 * isTeeth) + 0.5) | 0;
        if (((x | y) & 1) === 0) {
          const ck = (y >> 1) * cw + (x >> 1);
          const u = 122 + isTeeth * 6;
          const v = 146 - isTeeth * 18;
          out[uPlane + ck] = (out[uPlane + ck]! + (u - out[uPlane + ck]!) * a * 0.8 + 0.5) | 0;
          out[vPlane + ck] = (out[vPlane + ck]! + (v - out[vPlane + ck]!) * a * 0.8 + 0.5) | 0;
        }
      }
    }
  }

  /**
   * Blinks: the skin above each eye stretches down to the lid line, which follows the eye's arch and
   * hides the eye above it; a darker lash line marks the lid's edge. The stretch starts a little above
   * the open lid, below the brow, so the mapping is continuous there.
   */
  private closeLids(p: FramePose, out: Buffer): void {
    if (p.blink < 0.02) return;
    const d = this.rig.eyeDistance;
    const halfW = 0.34 * d;
    const halfH = 0.17 * d;
    const W = this.base.width;
    const H = this.base.height;
    const cw = W / 2;
    const uPlane = W * H;
    const vPlane = uPlane + cw * (H / 2);
    const src = this.base.data;
    for (const eye of this.rig.eyes) {
      const now = this.moved(p, eye.x, eye.y);
      const ox = now.x - eye.x;
      const oy = now.y - eye.y;
      const xa = Math.max(1, Math.floor(now.x - 1.3 * halfW));
      const xb = Math.min(W - 2, Math.ceil(now.x + 1.3 * halfW));
      const ya = Math.max(1, Math.floor(eye.y - 1.6 * halfH + oy));
      const yb = Math.min(H - 2, Math.ceil(eye.y + 0.8 * halfH + oy + 2));
      for (let x = xa; x <= xb; x++) {
        const bx = x - ox;
        const across = Math.abs(bx - eye.x) / halfW;
        const w = 1 - smoothstep(0.8, 1.3, across);
        if (w <= 0) continue;
        const arch = Math.sqrt(Math.max(0, 1 - Math.min(1, across) ** 2));
        const top = eye.y - 1.05 * halfH * arch; // the open lid's edge
        const from = top - 0.5 * halfH; // where the stretched skin starts
        const lid = top + p.blink * (eye.y + 0.45 * halfH * arch - top);
        for (let y = ya; y <= yb; y++) {
          const by = y - oy;
          if (by < from) continue;
          const k = y * W + x;
          if (by <= lid) {
            const sy = from + ((by - from) / (lid - from)) * (top - from);
            out[k] = lerp(out[k]!, bilinear(src, 0, W, bx, sy), w);
            if (((x | y) & 1) === 0) {
              const ck = (y >> 1) * cw + (x >> 1);
              out[uPlane + ck] = lerp(out[uPlane + ck]!, bilinear(src, uPlane, cw, bx / 2, sy / 2), w);
              out[vPlane + ck] = lerp(out[vPlane + ck]!, bilinear(src, vPlane, cw, bx / 2, sy / 2), w);
            }
          }
          const edge = 1 - Math.abs(by - lid) / 1.8;
          if (edge > 0 && p.blink > 0.2) out[k] = (out[k]! * (1 - 0.3 * p.blink * edge * w * arch) + 0.5) | 0;
        }
      }
    }
  }
}

const lerp = (a: number, b: number, t: number): number => (a + (b - a) * t + 0.5) | 0;

function bilinear(plane: Buffer, offset: number, stride: number, x: number, y: number): number {
  const ix = x | 0;
  const iy = y | 0;
  const fx = x - ix;
  const fy = y - iy;
  const k = offset + iy * stride + ix;
  const top = plane[k]! + (plane[k + 1]! - plane[k]!) * fx;
  const bottom = plane[k + stride]! + (plane[k + stride + 1]! - plane[k + stride]!) * fx;
  return top + (bottom - top) * fy;
}
