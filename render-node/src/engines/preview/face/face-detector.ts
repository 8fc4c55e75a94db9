import { checkImageSize, SHARP_INPUT_LIMITS } from '../../../media/image-limits.js';
import sharp from 'sharp';
import { RenderError } from '../../../contract/render-errors.js';
import { uprightRgb } from '../../../media/portrait-image.js';
import { modelSession, ort, type ModelName } from '../../../models/onnx-session.js';
import { decodeBlazeFace, mapDetection, weightedNms, type FaceDetection } from './blazeface-decoder.js';

/** Smallest face we animate; below this the mouth is a few pixels and the result is mush. */
export const MIN_FACE_PX = 64;

export interface FaceAnalysis {
  readonly imageWidth: number;
  readonly imageHeight: number;
  /** The face we animate: the largest one found. */
  readonly face: FaceDetection;
  readonly faceCount: number;
  readonly warnings: readonly string[];
}

const MODELS: ReadonlyArray<{ name: ModelName; size: number }> = [
  { name: 'blazefaceBack256', size: 256 },
  { name: 'blazefaceFront128', size: 128 },
];

/**
 * Finds faces with both BlazeFace models (the 256 "back" model sees small faces, the 128 "front" one
 * close-ups), merges their answers and picks the largest face. Coordinates are image pixels.
 */
export async function detectFace(image: Buffer | string): Promise<FaceAnalysis> {
  await checkImageSize(image);
  const meta = await sharp(image, SHARP_INPUT_LIMITS).rotate().metadata();
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new RenderError('IMAGE_CORRUPT', 'The portrait could not be decoded.');

  const found: FaceDetection[] = [];
  for (const model of MODELS) found.push(...(await detectWith(image, width, height, model.name, model.size)));
  const faces = weightedNms(found, 0.3).sort((a, b) => area(b) - area(a));

  const advice = 'Use a clear, front-facing portrait of at least 512×512 pixels.';
  const face = faces[0];
  if (!face) throw new RenderError('NO_FACE', `No face was found in the portrait. ${advice}`);
  const faceW = Math.round(face.x2 - face.x1);
  const faceH = Math.round(face.y2 - face.y1);
  if (Math.min(faceW, faceH) < MIN_FACE_PX) {
    throw new RenderError(
      'FACE_TOO_SMALL',
      `The face in the portrait is only ${faceW}×${faceH} pixels; at least ${MIN_FACE_PX} are needed. ${advice}`,
    );
  }
  const warnings =
    faces.length > 1 ? [`The portrait shows ${faces.length} faces; the largest one is animated.`] : [];
  return { imageWidth: width, imageHeight: height, face, faceCount: faces.length, warnings };
}

const area = (d: FaceDetection): number => (d.x2 - d.x1) * (d.y2 - d.y1);

async function detectWith(
  image: Buffer | string,
  width: number,
  height: number,
  model: ModelName,
  size: number,
): Promise<FaceDetection[]> {
  // Letterbox to a square so the face keeps its proportions; remember the mapping back.
  const scale = size / Math.max(width, height);
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const left = Math.floor((size - w) / 2);
  const top = Math.floor((size - h) / 2);
  const rgb = await uprightRgb(image)
    .resize(w, h, { fit: 'fill' })
    .extend({ left, top, right: size - w - left, bottom: size - h - top, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer();

  const input = new Float32Array(size * size * 3);
  for (let i = 0; i < input.length; i++) input[i] = rgb[i]! / 127.5 - 1; // NHWC RGB in [-1, 1]

  const session = await modelSession(model);
  const out = await session.run({
    [session.inputNames[0]!]: new ort.Tensor('float32', input, [1, size, size, 3]),
  });
  // Outputs: scores of both layers, then regressors of both layers.
  const [s1, s2, r1, r2] = session.outputNames.map((n) => out[n]!.data as Float32Array);
  const scores = concat(s1!, s2!);
  const regressors = concat(r1!, r2!);
  const toImage = 1 / scale;
  return decodeBlazeFace(scores, regressors, size).map((d) =>
    mapDetection(d, size * toImage, -left * toImage, -top * toImage),
  );
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
