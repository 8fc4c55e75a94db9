import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectFace } from '../../render-node/src/engines/preview/face/face-detector.js';
import type { FaceKeypoints } from '../../render-node/src/engines/preview/face/blazeface-decoder.js';
import { runVt, type CliResult } from '../helpers/cli.js';
import { PORTRAIT } from '../helpers/paths.js';
import { makeSpeech, scratchDir, type Speech } from '../helpers/speech.js';
import {
  audioEnergyPerFrame,
  ffprobe,
  frameMotion,
  movingAverage,
  mp4TopLevelBoxes,
  pearson,
  regionFrames,
  type Box,
} from '../helpers/video.js';

const FPS = 25;
const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

function frames(speech: Speech, kind: 'say' | 'silence', margin: number): number[] {
  return speech.parts
    .filter((p) => kind in p)
    .flatMap((p) => {
      const out: number[] = [];
      for (let f = Math.ceil((p.start + margin) * FPS); f < Math.floor((p.end - margin) * FPS); f++)
        out.push(f);
      return out;
    });
}

function regions(k: FaceKeypoints): { mouth: Box; eyes: Box } {
  const d = Math.hypot(k.leftEye.x - k.rightEye.x, k.leftEye.y - k.rightEye.y);
  const eyeY = (k.leftEye.y + k.rightEye.y) / 2;
  return {
    mouth: { x: k.mouth.x - 0.55 * d, y: k.mouth.y - 0.3 * d, w: 1.1 * d, h: 0.8 * d },
    eyes: { x: k.rightEye.x - 0.3 * d, y: eyeY - 0.12 * d, w: 1.6 * d, h: 0.24 * d },
  };
}

describe.each([
  [
    'English',
    'en-us',
    'Welcome to the onboarding course. Please read the safety rules before you start working.',
  ],
  ['Mandarin', 'cmn', '欢迎参加入职培训。开始工作之前，请先阅读安全规定。'],
] as const)('a lesson rendered from %s speech with silences', (_name, voice, text) => {
  const prompt = `A friendly trainer explains the rules (${voice})`;
  let speech: Speech;
  let dir: string;
  let cli: CliResult;
  let mp4: string;

  beforeAll(async () => {
    dir = scratchDir();
    speech = await makeSpeech(
      [{ silence: 1.5 }, { say: text, voice }, { silence: 2.5 }, { say: text, voice }, { silence: 1.5 }],
      dir,
    );
    mp4 = join(dir, 'lesson.mp4');
    cli = await runVt([
      'render',
      '--image',
      PORTRAIT,
      '--audio',
      speech.path,
      '--prompt',
      prompt,
      '--out',
      mp4,
    ]);
  });

  it('finishes with a one-line summary', () => {
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(
      /lesson\.mp4: \d+\.\d\d s, \d+ frames at 25 fps, rendered in [\d.]+ s \(\d+ fps, [\d.]+× real time\)/,
    );
  });

  it('is H.264 yuv420p with AAC, faststart, as long as the audio to within one frame', async () => {
    const probe = await ffprobe(mp4, true);
    const video = probe.streams.find((s) => s.codec_type === 'video')!;
    const audio = probe.streams.find((s) => s.codec_type === 'audio')!;
    expect(video).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', width: 688, height: 368 });
    expect(audio.codec_name).toBe('aac');
    expect(Number(video.nb_read_frames)).toBe(Math.round(speech.durationSec * FPS));
    expect(Math.abs(Number(probe.format.duration) - speech.durationSec)).toBeLessThanOrEqual(1 / FPS);
    expect(Math.abs(Number(video.duration) - speech.durationSec)).toBeLessThanOrEqual(1 / FPS);
    const boxes = mp4TopLevelBoxes(readFileSync(mp4));
    expect(boxes.indexOf('moov')).toBeGreaterThanOrEqual(0);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
  });

  it('moves the mouth with the voice and keeps it still in silence', async () => {
    // Find the mouth independently: run the detector on the poster (the still frame).
    const face = await detectFace(join(dir, 'lesson.jpg'));
    const motion = frameMotion(await regionFrames(mp4, regions(face.face.keypoints).mouth));
    const energy = await audioEnergyPerFrame(speech.path, FPS);
    const r = pearson(movingAverage(motion, 3), movingAverage(energy, 3));
    expect(r).toBeGreaterThanOrEqual(0.5);
    const speaking = mean(frames(speech, 'say', 0.2).map((f) => motion[f]!));
    const silent = frames(speech, 'silence', 0.3).map((f) => motion[f]!);
    expect(speaking).toBeGreaterThan(2);
    expect(mean(silent)).toBeLessThan(0.15 * speaking);
    expect(Math.max(...silent)).toBeLessThan(0.5 * speaking);
  });

  it('blinks now and then', async () => {
    // A closing lid covers the dark iris with skin: the eye band's mean brightness jumps. Head motion
    // shifts the band by a pixel or two and barely changes its mean.
    const face = await detectFace(join(dir, 'lesson.jpg'));
    const brightness = (await regionFrames(mp4, regions(face.face.keypoints).eyes)).map(
      (f) => f.reduce((s, v) => s + v, 0) / f.length,
    );
    const base = median(brightness);
    const rise = brightness.map((b) => b - base);
    // Measured: a blink raises the band by 35–40 grey levels; otherwise it varies by 2–3.
    const events: number[] = [];
    rise.forEach((r, f) => {
      if (r > 15 && (events.length === 0 || f - events[events.length - 1]! > 8)) events.push(f);
    });
    expect(events.length).toBeGreaterThanOrEqual(2);
    for (const f of events) expect(Math.max(...rise.slice(f, f + 6))).toBeGreaterThan(25); // the lid really closes
    const gaps = events.slice(1).map((f, i) => f - events[i]!);
    // Irregular: a metronome would give gaps within a frame or two of each other. (Where a blink is
    // detected can move by a frame with the head's sway, which the ONNX voice analysis sets: CI once
    // measured a spread of 9 frames where 10 were asked for.)
    if (gaps.length >= 2) expect(Math.max(...gaps) - Math.min(...gaps)).toBeGreaterThanOrEqual(6);
    const sorted = rise.map(Math.abs).sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length * 0.8)]!).toBeLessThan(5); // open, and steady, most of the time
  });

  it('writes the poster, a finished HLS rendition and the metadata with the prompt', async () => {
    expect(existsSync(join(dir, 'lesson.jpg'))).toBe(true);
    const playlist = readFileSync(join(dir, 'lesson.hls/index.m3u8'), 'utf8');
    expect(playlist).toContain('#EXT-X-ENDLIST');
    const segments = [...playlist.matchAll(/#EXTINF:([\d.]+),\s*\n(\S+)/g)];
    expect(segments.length).toBeGreaterThanOrEqual(3);
    for (const [, , name] of segments) expect(existsSync(join(dir, 'lesson.hls', name!))).toBe(true);
    const total = segments.reduce((s, m) => s + Number(m[1]), 0);
    expect(Math.abs(total - speech.durationSec)).toBeLessThan(0.1);
    const hls = await ffprobe(join(dir, 'lesson.hls/index.m3u8'));
    expect(hls.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);

    const meta = JSON.parse(readFileSync(join(dir, 'lesson.json'), 'utf8'));
    expect(meta).toMatchObject({
      prompt,
      engine: { name: 'preview' },
      size: '688*368',
      fps: 25,
      files: { mp4: 'lesson.mp4', poster: 'lesson.jpg', hlsPlaylist: 'lesson.hls/index.m3u8' },
    });
    expect(meta.scene.notes.length).toBeGreaterThan(0);
    expect((await ffprobe(mp4)).format.tags?.comment).toBe(prompt);
    expect(readdirSync(dir).filter((n) => n.includes('.partial-'))).toEqual([]);
  });
});
