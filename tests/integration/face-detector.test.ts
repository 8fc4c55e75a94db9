import { join } from 'node:path';
import sharp from 'sharp';
import { detectFace } from '../../render-node/src/engines/preview/face/face-detector.js';
import { RenderError } from '../../render-node/src/contract/render-errors.js';
import { PORTRAIT } from '../helpers/paths.js';
import { scratchDir } from '../helpers/speech.js';

const near = (v: number, target: number, tol: number): void =>
  expect(Math.abs(v - target)).toBeLessThanOrEqual(tol);

describe('face detection with the real BlazeFace models', () => {
  it('finds the astronaut’s face and its landmarks', async () => {
    const r = await detectFace(PORTRAIT);
    expect(r.faceCount).toBe(1);
    expect(r.warnings).toEqual([]);
    const f = r.face;
    expect(f.score).toBeGreaterThan(0.85);
    // Reference values from shared/docs/dependencies.md (both models, drawn and checked by eye).
    near(f.x1, 176, 8);
    near(f.y1, 78, 8);
    near(f.x2, 275, 8);
    near(f.y2, 177, 8);
    near(f.keypoints.rightEye.x, 204, 6);
    near(f.keypoints.rightEye.y, 102, 6);
    near(f.keypoints.leftEye.x, 248, 6);
    near(f.keypoints.nose.y, 126, 6);
    near(f.keypoints.mouth.x, 221, 6);
    near(f.keypoints.mouth.y, 147, 6);
  });

  it('finds the face in a JPEG and in a WebP, and through an EXIF rotation', async () => {
    const dir = scratchDir();
    const jpeg = join(dir, 'p.jpg');
    const webp = join(dir, 'p.webp');
    await sharp(PORTRAIT).jpeg({ quality: 85 }).toFile(jpeg);
    await sharp(PORTRAIT).webp().toFile(webp);
    for (const file of [jpeg, webp]) near((await detectFace(file)).face.keypoints.mouth.y, 147, 8);
    // Stored turned on its side with orientation 6 ("rotate 90° clockwise to view"): must come out upright.
    const sideways = join(dir, 'sideways.jpg');
    await sharp(PORTRAIT).rotate(-90).withMetadata({ orientation: 6 }).jpeg().toFile(sideways);
    const upright = await detectFace(sideways);
    near(upright.face.keypoints.mouth.y, 147, 10);
    expect(upright.face.keypoints.mouth.y).toBeGreaterThan(upright.face.keypoints.nose.y);
  });

  it('refuses a picture without a face', async () => {
    const blank = await sharp({
      create: { width: 512, height: 512, channels: 3, background: { r: 90, g: 140, b: 200 } },
    })
      .png()
      .toBuffer();
    await expect(detectFace(blank)).rejects.toMatchObject({
      code: 'NO_FACE',
      message: expect.stringContaining('512×512'),
    });
  });

  it('refuses a face smaller than 64 px', async () => {
    const tiny = await sharp(PORTRAIT).resize(200, 200).toBuffer();
    const canvas = await sharp({
      create: { width: 800, height: 800, channels: 3, background: { r: 200, g: 200, b: 200 } },
    })
      .composite([{ input: tiny, left: 300, top: 300 }])
      .png()
      .toBuffer();
    const err = await detectFace(canvas).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as RenderError).code).toBe('FACE_TOO_SMALL');
  });

  it('animates the largest of several faces and says so', async () => {
    const small = await sharp(PORTRAIT).resize(300, 300).toBuffer();
    const big = await sharp(PORTRAIT).resize(512, 512).toBuffer();
    const group = await sharp({
      create: { width: 900, height: 560, channels: 3, background: { r: 230, g: 230, b: 230 } },
    })
      .composite([
        { input: big, left: 0, top: 0 },
        { input: small, left: 580, top: 200 },
      ])
      .png()
      .toBuffer();
    const r = await detectFace(group);
    expect(r.faceCount).toBe(2);
    expect(r.warnings[0]).toMatch(/2 faces; the largest/);
    expect(r.face.x2).toBeLessThan(512); // the big one, on the left
  });
});
