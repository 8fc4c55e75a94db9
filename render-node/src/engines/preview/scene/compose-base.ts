import sharp from 'sharp';
import { uprightRgb } from '../../../media/portrait-image.js';
import type { FrameSize } from '../../../render-size.js';
import { mapDetection, type FaceDetection } from '../face/blazeface-decoder.js';
import type { ScenePlan } from './scene-plan.js';

/** Face height as a share of the frame's shorter side, by framing. */
const FACE_SHARE = { close: 0.58, medium: 0.4, wide: 0.24 } as const;
/** Where the face centre sits, from the top, as a share of the frame height. */
const FACE_LINE = 0.42;

export interface BaseFrame extends FrameSize {
  /** The still frame, packed RGB, before any animation. */
  readonly rgb: Buffer;
  /** The animated face in frame pixels. */
  readonly face: FaceDetection;
}

/**
 * Frames the portrait for the output size: scaled so the face has the framing's size, centred on the
 * face, kept inside the photo where the photo is large enough (else the rest is background), then the
 * scene's background treatment is applied around the presenter.
 */
export async function composeBase(
  portrait: Buffer | string,
  imageWidth: number,
  imageHeight: number,
  face: FaceDetection,
  size: FrameSize,
  scene: ScenePlan,
): Promise<BaseFrame> {
  const { width: W, height: H } = size;
  const scale = (FACE_SHARE[scene.framing] * Math.min(W, H)) / (face.y2 - face.y1);
  const cropW = W / scale;
  const cropH = H / scale;
  const place = (centre: number, crop: number, extent: number, anchor: number): number => {
    const start = centre - anchor * crop;
    return crop <= extent ? Math.min(Math.max(start, 0), extent - crop) : (extent - crop) / 2;
  };
  const cropX = place((face.x1 + face.x2) / 2, cropW, imageWidth, 0.5);
  const cropY = place((face.y1 + face.y2) / 2, cropH, imageHeight, FACE_LINE);

  // The part of the photo under the crop (plus a pixel for resampling), scaled, then cut to the frame.
  const clampTo = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  const srcL = clampTo(Math.floor(cropX) - 1, imageWidth);
  const srcT = clampTo(Math.floor(cropY) - 1, imageHeight);
  const srcR = clampTo(Math.ceil(cropX + cropW) + 1, imageWidth);
  const srcB = clampTo(Math.ceil(cropY + cropH) + 1, imageHeight);
  const partW = Math.max(1, Math.round((srcR - srcL) * scale));
  const partH = Math.max(1, Math.round((srcB - srcT) * scale));
  const fx = Math.round((srcL - cropX) * scale);
  const fy = Math.round((srcT - cropY) * scale);
  const l = Math.max(0, fx);
  const t = Math.max(0, fy);
  const r = Math.min(W, fx + partW);
  const b = Math.min(H, fy + partH);
  const photo = await uprightRgb(portrait)
    .extract({ left: srcL, top: srcT, width: srcR - srcL, height: srcB - srcT })
    .resize(partW, partH, { fit: 'fill', kernel: 'lanczos3' })
    .extract({ left: l - fx, top: t - fy, width: r - l, height: b - t })
    .raw()
    .toBuffer();
  let framed = photo;
  if (l > 0 || t > 0 || r < W || b < H) {
    // The photo does not reach every frame edge: a blurred, dimmed copy of it fills the rest.
    framed = await uprightRgb(portrait)
      .resize(W, H, { fit: 'cover' })
      .blur(24)
      .modulate({ brightness: 0.6 })
      .composite([{ input: photo, raw: { width: r - l, height: b - t, channels: 3 }, left: l, top: t }])
      .raw()
      .toBuffer();
  }

  const mapped = mapDetection(face, scale, -cropX * scale, -cropY * scale);
  const rgb = await applyBackground(framed, W, H, mapped, scene);
  return { width: W, height: H, rgb, face: mapped };
}

/** Blends the background outside a soft presenter mask (head ellipse + shoulders) toward blur or colour. */
async function applyBackground(
  rgb: Buffer,
  W: number,
  H: number,
  face: FaceDetection,
  scene: ScenePlan,
): Promise<Buffer> {
  const bg = scene.background;
  if (bg.kind === 'photo') return rgb;
  const other =
    bg.kind === 'blur'
      ? await sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
          .blur(12)
          .raw()
          .toBuffer()
      : undefined;
  const out = Buffer.from(rgb);
  const cx = (face.x1 + face.x2) / 2;
  const cy = (face.y1 + face.y2) / 2;
  const fw = face.x2 - face.x1;
  const fh = face.y2 - face.y1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const head = Math.hypot((x - cx) / (0.78 * fw), (y - cy + 0.08 * fh) / (0.78 * fh));
      // Shoulders: a widening band from the chin down.
      const below = (y - (face.y2 + 0.15 * fh)) / fh;
      const torsoHalf = below > 0 ? 0.55 * fw + 1.6 * fw * Math.min(1, below) : 0;
      const torso = below > 0 ? Math.abs(x - cx) / torsoHalf : 9;
      const d = Math.min(head, torso);
      const keep = d < 0.9 ? 1 : d > 1.15 ? 0 : 1 - (d - 0.9) / 0.25;
      if (keep >= 1) continue;
      const i = (y * W + x) * 3;
      for (let c = 0; c < 3; c++) {
        const target = other ? other[i + c]! : bg.kind === 'colour' ? bg.rgb[c]! : rgb[i + c]!;
        out[i + c] = Math.round(rgb[i + c]! * keep + target * (1 - keep));
      }
    }
  }
  return out;
}
