import { join } from 'node:path';
import sharp from 'sharp';
import { chunkFileName } from '../../contract/render-job.js';
import { RenderError, isRenderError } from '../../errors.js';
import {
  ENCODED_HLS_DIR,
  ENCODED_MP4,
  HLS_PLAYLIST,
  joinLesson,
  startEncoder,
  warmUp,
  type FrameEncoder,
} from '../../media/ffmpeg.js';
import { checkAudio, checkPortrait } from '../../media/input-checks.js';
import type { FrameSize } from '../../render-size.js';
import { blinkTrack } from './animation/blink-schedule.js';
import { headTrack } from './animation/head-motion.js';
import { mouthTrack } from './animation/mouth-track.js';
import type { FaceDetection } from './face/blazeface-decoder.js';
import { detectFace, type FaceAnalysis } from './face/face-detector.js';
import { buildFaceRig } from './render/face-rig.js';
import { FrameRenderer, type FramePose } from './render/frame-renderer.js';
import { rgbToYuv420 } from './render/yuv.js';
import { composeBase } from './scene/compose-base.js';
import { planScene, type ScenePlan } from './scene/scene-plan.js';
import { analyseVoice, closeVoiceWorkers, startVoiceWorkers } from './voice/voice-track.js';

export const PREVIEW_ENGINE_VERSION = '1.0.0';
export const POSTER_FILE = 'poster.jpg';

export interface PreviewRenderRequest {
  readonly imagePath: string;
  readonly audioPath: string;
  readonly prompt: string;
  readonly size: FrameSize & { readonly text: string };
  readonly fps: number;
}

/** `encode`: joining a chunked render's parts and muxing the audio (one-pass renders encode as they render). */
export type RenderStage = 'analyse' | 'render' | 'encode';
export interface RenderProgress {
  readonly stage: RenderStage;
  /** Of the whole render, 0–1. */
  readonly fraction: number;
  readonly framesDone: number;
  readonly framesTotal: number;
  readonly etaSec?: number;
}

export interface PreviewRenderOptions {
  /** Empty folder the outputs are written to (ENCODED_MP4, hls/, poster.jpg). */
  readonly workDir: string;
  readonly maxAudioSeconds: number;
  readonly x264Preset: string;
  readonly x264Crf: number;
  readonly hlsSegmentSeconds?: number;
  readonly onProgress?: (p: RenderProgress) => void;
  readonly signal?: AbortSignal;
  /** A portrait already analysed (batch renders reuse it). */
  readonly face?: FaceAnalysis;
  /** Render in resumable chunks (the farm) instead of one pass. */
  readonly chunks?: ChunkedRender;
}

/**
 * A lesson rendered as video-only chunks of a fixed number of frames, handed over one by one as they
 * finish (the farm uploads them), then joined losslessly and muxed with the audio. Chunks already in
 * `dir` from an earlier attempt are not rendered again.
 */
export interface ChunkedRender {
  /** Frames per chunk: a multiple of the 2 s keyframe interval, so every chunk starts on a keyframe. */
  readonly frames: number;
  /** Folder outside workDir holding the chunks, named chunkFileName(i). */
  readonly dir: string;
  /** How many chunks, from the first, are already in `dir`. */
  readonly done: number;
  readonly onChunk: (index: number, file: string, count: number) => Promise<void>;
}

export interface PreviewRenderResult {
  readonly engine: { readonly name: 'preview'; readonly version: string };
  readonly prompt: string;
  readonly scene: ScenePlan;
  readonly size: string;
  readonly fps: number;
  readonly frames: number;
  readonly durationSec: number;
  readonly audioDurationSec: number;
  readonly face: { readonly detection: FaceDetection; readonly count: number };
  readonly warnings: readonly string[];
  readonly timings: { readonly analyseSec: number; readonly renderSec: number; readonly totalSec: number };
  /** Relative to the work folder. */
  readonly files: { readonly mp4: string; readonly hlsPlaylist: string; readonly poster: string };
}

/** Share of the progress bar given to analysis; rendering takes the rest. */
const ANALYSE_SHARE = 0.1;

/**
 * The preview engine: portrait + voice → a talking-portrait lesson, on any CPU. Analysis (BlazeFace,
 * Silero VAD, HeadAudio visemes) produces small per-frame tracks; frames are then drawn one at a time
 * and streamed to ffmpeg, so memory does not grow with the lesson's length.
 */
export async function renderPreview(
  req: PreviewRenderRequest,
  o: PreviewRenderOptions,
): Promise<PreviewRenderResult> {
  const started = performance.now();
  const since = (t: number): number => (performance.now() - t) / 1000;
  const report = o.onProgress ?? (() => {});
  throwIfCancelled(o.signal);

  // Everything that needs only the inputs starts at once: the checks, the analysis workers loading
  // their models, fluent-ffmpeg finding ffmpeg, the voice decode and the portrait framing. A failed
  // check stops the rest; errors are reported portrait first, then audio, then analysis.
  const scene = planScene(req.prompt);
  report({ stage: 'analyse', fraction: 0, framesDone: 0, framesTotal: 0 });
  const workers = startVoiceWorkers();
  let expectedSec: number | undefined;
  const portraitTask = o.face ? Promise.resolve(o.face) : analysePortrait(req.imagePath);
  const audioTask = checkAudio(req.audioPath, o.maxAudioSeconds).then((p) => {
    expectedSec = p.audio?.durationSec ?? p.durationSec;
  });
  const voiceTask = warmUp().then(() =>
    analyseVoice(
      req.audioPath,
      {
        fps: req.fps,
        maxSeconds: o.maxAudioSeconds,
        onProgress: (sec) =>
          expectedSec &&
          report({
            stage: 'analyse',
            fraction: Math.min(1, sec / expectedSec) * ANALYSE_SHARE,
            framesDone: 0,
            framesTotal: 0,
          }),
      },
      workers,
    ),
  );
  const pictureTask = portraitTask.then((face) => preparePicture(req, face, scene, o.workDir));
  for (const t of [voiceTask, pictureTask]) t.catch(() => {}); // awaited below, or abandoned on a failed check

  const [portrait, audio] = await Promise.allSettled([portraitTask, audioTask]);
  if (portrait.status === 'rejected' || audio.status === 'rejected') {
    await closeVoiceWorkers(workers);
    await pictureTask.catch(() => {}); // let it finish writing before the caller removes the folder
    throw portrait.status === 'rejected' ? portrait.reason : (audio as PromiseRejectedResult).reason;
  }
  const face = portrait.value;

  const encoderSettings = {
    width: req.size.width,
    height: req.size.height,
    fps: req.fps,
    workDir: o.workDir,
    preset: o.x264Preset,
    crf: o.x264Crf,
  };
  const hlsSegmentSeconds = o.hlsSegmentSeconds ?? 4;
  const metadata = {
    comment: req.prompt,
    description: req.prompt,
    encoder_engine: `virtual-tutor preview ${PREVIEW_ENGINE_VERSION}`,
  };
  // One pass straight to MP4 + live HLS; or, for the farm, video-only chunks joined and muxed at the end.
  const onePass = (): FrameEncoder =>
    startEncoder({ ...encoderSettings, audioPath: req.audioPath, hlsSegmentSeconds, metadata });
  let encoder: FrameEncoder | undefined = o.chunks ? undefined : onePass();
  try {
    const [voice, picture] = await Promise.all([voiceTask, pictureTask]);
    throwIfCancelled(o.signal);
    const total = voice.frameCount;
    const seed = trackSeed(voice.rmsDb);
    const mouth = mouthTrack(voice);
    const blink = blinkTrack(total, req.fps, seed);
    const head = headTrack(mouth.open, req.fps, seed);
    const analyseSec = since(started);

    const renderStarted = performance.now();
    const pose: FramePose = { headX: 0, headY: 0, roll: 0, open: 0, spread: 0, round: 0, blink: 0 };
    // Every frame is a pure function of the tracks, so a chunk rendered after a restart joins its
    // neighbours seamlessly.
    const renderFrames = async (into: FrameEncoder, from: number, to: number): Promise<void> => {
      for (let f = from; f < to; f++) {
        if (o.signal?.aborted) throw cancelled();
        pose.headX = head.x[f]!;
        pose.headY = head.y[f]!;
        pose.roll = head.roll[f]!;
        pose.open = mouth.open[f]!;
        pose.spread = mouth.spread[f]!;
        pose.round = mouth.round[f]!;
        pose.blink = blink[f]!;
        await into.write(picture.renderer.render(pose));
        if (f % 25 === 24 || f === total - 1) {
          const elapsed = since(renderStarted);
          const rendered = f + 1 - firstFrame;
          report({
            stage: 'render',
            fraction: ANALYSE_SHARE + (1 - ANALYSE_SHARE) * ((f + 1) / total),
            framesDone: f + 1,
            framesTotal: total,
            etaSec: (elapsed / rendered) * (total - f - 1),
          });
        }
      }
    };

    let firstFrame = 0;
    // A lesson no longer than one chunk gains nothing from chunking (a restart redoes at most that
    // much): it is rendered in one pass, without the join and mux.
    if (!encoder && total <= o.chunks!.frames && o.chunks!.done === 0) encoder = onePass();
    if (encoder) {
      await renderFrames(encoder, 0, total);
      await encoder.finish();
    } else {
      const c = o.chunks!;
      const count = Math.max(1, Math.ceil(total / c.frames));
      const done = Math.min(c.done, count);
      firstFrame = done * c.frames;
      const parts: string[] = [];
      for (let i = 0; i < count; i++) {
        const name = chunkFileName(i);
        parts.push(join(c.dir, name));
        if (i < done) continue;
        encoder = startEncoder({ ...encoderSettings, workDir: c.dir, mp4Name: name });
        await renderFrames(encoder, i * c.frames, Math.min(total, (i + 1) * c.frames));
        await encoder.finish();
        encoder = undefined;
        await c.onChunk(i, join(c.dir, name), count);
      }
      throwIfCancelled(o.signal);
      report({ stage: 'encode', fraction: 1, framesDone: total, framesTotal: total, etaSec: 0 });
      await joinLesson({
        parts,
        scratchDir: c.dir,
        audioPath: req.audioPath,
        workDir: o.workDir,
        hlsSegmentSeconds,
        metadata,
      });
    }

    return {
      engine: { name: 'preview', version: PREVIEW_ENGINE_VERSION },
      prompt: req.prompt,
      scene,
      size: req.size.text,
      fps: req.fps,
      frames: total,
      durationSec: total / req.fps,
      audioDurationSec: voice.durationSec,
      face: { detection: picture.face, count: face.faceCount },
      warnings: face.warnings,
      timings: { analyseSec, renderSec: since(renderStarted), totalSec: since(started) },
      files: { mp4: ENCODED_MP4, hlsPlaylist: `${ENCODED_HLS_DIR}/${HLS_PLAYLIST}`, poster: POSTER_FILE },
    };
  } catch (e) {
    encoder?.abort();
    await closeVoiceWorkers(workers);
    if (isRenderError(e)) throw e;
    throw new RenderError('ENCODER_FAILED', `Encoding the video failed: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** A chunk's file name: the same on every node, so a restarted job finds what an earlier one made. */

/** Frames the portrait for the lesson, writes the poster, and readies the frame renderer. */
async function preparePicture(
  req: PreviewRenderRequest,
  face: FaceAnalysis,
  scene: ScenePlan,
  workDir: string,
): Promise<{ renderer: FrameRenderer; face: FaceDetection }> {
  const base = await composeBase(
    req.imagePath,
    face.imageWidth,
    face.imageHeight,
    face.face,
    req.size,
    scene,
  );
  await sharp(base.rgb, { raw: { width: base.width, height: base.height, channels: 3 } })
    .jpeg({ quality: 88 })
    .toFile(join(workDir, POSTER_FILE));
  const renderer = new FrameRenderer(
    rgbToYuv420(base.rgb, base.width, base.height),
    buildFaceRig(base.face, base.width, base.height),
  );
  return { renderer, face: base.face };
}

/** Checks the portrait is a real image, then finds the face to animate. */
export async function analysePortrait(imagePath: string): Promise<FaceAnalysis> {
  await checkPortrait(imagePath);
  return detectFace(imagePath);
}

const cancelled = (): RenderError => new RenderError('CANCELLED', 'The render was cancelled.');
function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled();
}

/** FNV-1a over the loudness track: the same recording always gets the same blinks and sway. */
function trackSeed(values: Float32Array): number {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}
