import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { chunkFileName } from '../../contract/render-job.js';
import { RenderError, isRenderError } from '../../contract/render-errors.js';
import {
  ENCODED_HLS_DIR,
  ENCODED_MP4,
  HLS_PLAYLIST,
  joinLesson,
  startEncoder,
  type FrameEncoder,
} from '../../media/ffmpeg.js';
import { checkAudio, checkPortrait } from '../../media/input-checks.js';
import type { FrameSize } from '../../render-size.js';
import {
  LessonAnimator,
  partTracks,
  trackPose,
  wholeTracks,
  type LessonTracks,
} from './animation/lesson-tracks.js';
import type { FaceDetection } from './face/blazeface-decoder.js';
import { detectFace, type FaceAnalysis } from './face/face-detector.js';
import { buildFaceRig } from './render/face-rig.js';
import { FrameRenderer, type FramePose } from './render/frame-renderer.js';
import { rgbToYuv420 } from './render/yuv.js';
import { composeBase } from './scene/compose-base.js';
import { framedPortraits, type FramedPortrait } from './scene/framed-portraits.js';
import { planScene, type ScenePlan } from './scene/scene-plan.js';
import { VoiceStream } from './voice/voice-stream.js';

/**
 * In every render and chunk key: frames made by another version are never reused. 1.1: the animation
 * is causal (loudness scale from the speech so far, seeds from the first second).
 */
export const PREVIEW_ENGINE_VERSION = '1.1.0';
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
  /** Also write a fragmented MP4 as the frames come (STREAMED_MP4), to be played while it renders. */
  readonly streamed?: boolean;
  readonly onProgress?: (p: RenderProgress) => void;
  readonly signal?: AbortSignal;
  /** A portrait already analysed (batch renders reuse it). */
  readonly face?: FaceAnalysis;
  /** Render in resumable chunks (the farm) instead of one pass. */
  readonly chunks?: ChunkedRender;
}

/**
 * A lesson rendered as video-only chunks, handed over one by one as they finish (the farm uploads
 * them), then joined losslessly and muxed with the audio. Chunks already made (by an earlier attempt,
 * or, for independent chunks, by another render of the same part) are not rendered again.
 */
export interface ChunkedRender {
  /** Where each chunk starts, in frames, for a lesson of `total` frames: 0 first, increasing. */
  readonly starts: (total: number) => readonly number[];
  /**
   * Each chunk is animated from its own part of the voice alone and settles at its edges (see
   * partTracks), so its frames depend on nothing outside it: chunks can be shared between renders.
   */
  readonly independent?: boolean;
  /** Folder outside workDir where chunks are made, named chunkFileName(i). */
  readonly dir: string;
  /** The file of chunk `index` when it is already made, else undefined. */
  readonly existing: (index: number, count: number) => Promise<string | undefined>;
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
  readonly timings: {
    /** From the start to the first frame drawn (the voice analysed only as far as that frame needs). */
    readonly firstFrameSec: number;
    /** From the start to the live HLS playlist naming its first segment (a one-pass render's). */
    readonly firstSegmentSec?: number;
    /** From the start to the whole voice analysed (meanwhile frames were being drawn). */
    readonly analyseSec: number;
    readonly renderSec: number;
    readonly totalSec: number;
  };
  /** Relative to the work folder. */
  readonly files: { readonly mp4: string; readonly hlsPlaylist: string; readonly poster: string };
}

/** Share of the progress bar given to analysis; rendering takes the rest. */
const ANALYSE_SHARE = 0.1;

/**
 * The preview engine: portrait + voice → a talking-portrait lesson, on any CPU. Analysis (BlazeFace,
 * Silero VAD, HeadAudio visemes) produces small per-frame tracks; frames are drawn one at a time and
 * streamed to ffmpeg, so memory does not grow with the lesson's length. A one-pass render draws
 * frames while the voice is still being analysed (VoiceStream, LessonAnimator): its first frame and
 * first HLS segment come as soon for a ten-minute lesson as for a one-minute one.
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
  const voice = new VoiceStream(req.fps);
  // A one-pass render draws while the voice comes in: the voice waits for its first frame.
  const animator = o.chunks ? undefined : new LessonAnimator(voice);
  if (animator) voice.analyseOnlyFor(animator.needs(0));
  let expectedSec: number | undefined;
  let analyseSec: number | undefined;
  // A portrait this process framed before, for this size and scene, is not checked or framed again.
  const known = framedPortraits.keyOf(req.imagePath, req.size, scene).then((key) => ({
    key,
    framed: key === undefined ? undefined : framedPortraits.get(key),
  }));
  const portraitTask = known.then(
    ({ framed }) => framed?.analysis ?? o.face ?? analysePortrait(req.imagePath),
  );
  const audioTask = checkAudio(req.audioPath, o.maxAudioSeconds).then((p) => {
    expectedSec = p.audio?.durationSec ?? p.durationSec;
    return p.input;
  });
  let drawing = false;
  const voiceTask = voice
    .analyse(req.audioPath, {
      fps: req.fps,
      maxSeconds: o.maxAudioSeconds,
      onProgress: (sec) =>
        expectedSec &&
        !drawing &&
        report({
          stage: 'analyse',
          fraction: Math.min(1, sec / expectedSec) * ANALYSE_SHARE,
          framesDone: 0,
          framesTotal: 0,
        }),
    })
    .then((track) => {
      analyseSec = since(started);
      return track;
    });
  const pictureTask = known.then(async ({ key, framed }) => {
    if (framed) return pictureOf(framed, o.workDir);
    const made = await framePortrait(req, await portraitTask, scene);
    if (key !== undefined) framedPortraits.remember(key, made);
    return pictureOf(made, o.workDir);
  });
  for (const t of [voiceTask, pictureTask]) t.catch(() => {}); // awaited below, or abandoned on a failed check

  const [portrait, audio] = await Promise.allSettled([portraitTask, audioTask]);
  if (portrait.status === 'rejected' || audio.status === 'rejected') {
    await voice.close();
    // Let it finish writing before the caller removes the folder.
    await pictureTask.then((p) => p.poster).catch(() => {});
    throw portrait.status === 'rejected' ? portrait.reason : (audio as PromiseRejectedResult).reason;
  }
  const face = portrait.value;
  const audioIn = audio.value;

  const encoderSettings = {
    width: req.size.width,
    height: req.size.height,
    fps: req.fps,
    workDir: o.workDir,
    preset: o.x264Preset,
    crf: o.x264Crf,
  };
  const hlsSegmentSeconds = o.hlsSegmentSeconds ?? 4;
  const streamed = o.streamed ?? false;
  const metadata = {
    comment: req.prompt,
    description: req.prompt,
    encoder_engine: `virtual-tutor preview ${PREVIEW_ENGINE_VERSION}`,
  };
  // One pass straight to MP4 + live HLS; or, for the farm, video-only chunks joined and muxed at the end.
  const onePass = (): FrameEncoder =>
    startEncoder({ ...encoderSettings, audio: audioIn, hlsSegmentSeconds, streamed, metadata });
  let encoder: FrameEncoder | undefined = o.chunks ? undefined : onePass();
  try {
    const picture = await pictureTask;
    throwIfCancelled(o.signal);
    const renderStarted = performance.now();
    let firstFrameSec: number | undefined;
    let firstSegmentSec: number | undefined;
    // ffmpeg writes the playlist once the first segment is complete: looked for once a second of video.
    const playlist = join(o.workDir, ENCODED_HLS_DIR, HLS_PLAYLIST);
    let rendered = 0;
    let fraction = ANALYSE_SHARE;
    const pose: FramePose = { headX: 0, headY: 0, roll: 0, open: 0, spread: 0, round: 0, blink: 0 };
    // The encoder writing the live HLS (a one-pass render's), whose first segment is timed.
    let live: FrameEncoder | undefined;
    const draw = async (into: FrameEncoder, f: number, total: number): Promise<void> => {
      if (o.signal?.aborted) throw cancelled();
      await into.write(picture.renderer.render(pose));
      if (firstFrameSec === undefined) {
        firstFrameSec = since(started);
        voice.release();
      }
      if (into === live && firstSegmentSec === undefined && f % 25 === 0 && existsSync(playlist))
        firstSegmentSec = since(started);
      rendered++;
      if (f % 25 === 24 || f === total - 1) {
        const elapsed = since(renderStarted);
        // While the voice is still coming in, `total` is the probe's estimate: never step back.
        fraction = Math.max(fraction, ANALYSE_SHARE + (1 - ANALYSE_SHARE) * Math.min(1, (f + 1) / total));
        report({
          stage: 'render',
          fraction,
          framesDone: f + 1,
          framesTotal: total,
          etaSec: (elapsed / rendered) * Math.max(0, total - f - 1),
        });
      }
    };
    // Every frame is a pure function of the tracks, so a chunk rendered after a restart joins its
    // neighbours seamlessly.
    const renderFrames = async (into: FrameEncoder, tracks: LessonTracks, from: number, to: number) => {
      for (let f = from; f < to; f++) {
        trackPose(tracks, f, pose);
        await draw(into, f, total);
      }
    };

    let total: number;
    const c = o.chunks;
    if (encoder && animator) {
      // One pass, drawn while the voice comes in: each frame waits only for the voice it needs.
      drawing = true;
      live = encoder;
      const estimated = Math.max(1, Math.round((expectedSec ?? 0) * req.fps));
      for (let f = 0; ; f++) {
        const needs = animator.needs(f);
        if (needs >= voice.known && voice.frameCount === undefined) await voice.ready(needs);
        // The voice's length is known once it has all come in, maybe during that wait.
        if (f >= (voice.frameCount ?? Infinity)) break;
        animator.pose(f, pose);
        await draw(encoder, f, voice.frameCount ?? Math.max(estimated, f + 2));
      }
      await voiceTask;
      total = voice.frameCount!;
      await encoder.finish();
      firstSegmentSec ??= since(started);
    } else {
      const track = await voiceTask;
      throwIfCancelled(o.signal);
      total = track.frameCount;
      const chunked = c!;
      const starts = chunked.starts(total);
      const count = starts.length;
      // A lesson of one chunk gains nothing from chunking (a restart redoes at most that much): it is
      // rendered in one pass, without the join and mux, unless that chunk is already made.
      if (count === 1 && !(await chunked.existing(0, 1))) {
        encoder = live = onePass();
        await renderFrames(
          encoder,
          chunked.independent ? partTracks(track, 0, total) : wholeTracks(track),
          0,
          total,
        );
        await encoder.finish();
      } else {
        const whole = chunked.independent ? undefined : wholeTracks(track);
        const parts: string[] = [];
        for (let i = 0; i < count; i++) {
          const from = starts[i]!;
          const to = starts[i + 1] ?? total;
          const made = await chunked.existing(i, count);
          if (made) {
            parts.push(made);
            continue;
          }
          const name = chunkFileName(i);
          encoder = startEncoder({ ...encoderSettings, workDir: chunked.dir, mp4Name: name });
          await renderFrames(encoder, whole ?? partTracks(track, from, to), from, to);
          await encoder.finish();
          encoder = undefined;
          parts.push(join(chunked.dir, name));
          await chunked.onChunk(i, join(chunked.dir, name), count);
        }
        throwIfCancelled(o.signal);
        report({ stage: 'encode', fraction: 1, framesDone: total, framesTotal: total, etaSec: 0 });
        await joinLesson({
          parts,
          scratchDir: chunked.dir,
          audioPath: req.audioPath,
          workDir: o.workDir,
          hlsSegmentSeconds,
          metadata,
        });
      }
    }

    await picture.poster;
    return {
      engine: { name: 'preview', version: PREVIEW_ENGINE_VERSION },
      prompt: req.prompt,
      scene,
      size: req.size.text,
      fps: req.fps,
      frames: total,
      durationSec: total / req.fps,
      audioDurationSec: voice.durationSec!,
      face: { detection: picture.face, count: face.faceCount },
      warnings: face.warnings,
      timings: {
        firstFrameSec: firstFrameSec ?? since(started),
        firstSegmentSec,
        analyseSec: analyseSec ?? since(started),
        renderSec: since(renderStarted),
        totalSec: since(started),
      },
      files: { mp4: ENCODED_MP4, hlsPlaylist: `${ENCODED_HLS_DIR}/${HLS_PLAYLIST}`, poster: POSTER_FILE },
    };
  } catch (e) {
    await encoder?.abort();
    await voice.close();
    await pictureTask.then((p) => p.poster).catch(() => {});
    if (isRenderError(e)) throw e;
    throw new RenderError('ENCODER_FAILED', `Encoding the video failed: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Frames the portrait for the lesson and rigs its face: what every frame is drawn from. */
async function framePortrait(
  req: PreviewRenderRequest,
  analysis: FaceAnalysis,
  scene: ScenePlan,
): Promise<FramedPortrait> {
  const base = await composeBase(
    req.imagePath,
    analysis.imageWidth,
    analysis.imageHeight,
    analysis.face,
    req.size,
    scene,
  );
  return {
    analysis,
    base,
    yuv: rgbToYuv420(base.rgb, base.width, base.height),
    rig: buildFaceRig(base.face, base.width, base.height),
  };
}

/** Readies this render's frame renderer, and starts writing the poster. */
function pictureOf(
  framed: FramedPortrait,
  workDir: string,
): { renderer: FrameRenderer; face: FaceDetection; poster: Promise<void> } {
  const { base } = framed;
  const renderer = new FrameRenderer(framed.yuv, framed.rig);
  // Written beside the first frames (sharp works on its own threads); the render awaits it at the end.
  const poster = sharp(base.rgb, { raw: { width: base.width, height: base.height, channels: 3 } })
    .jpeg({ quality: 88 })
    .toFile(join(workDir, POSTER_FILE))
    .then(() => {});
  poster.catch(() => {}); // awaited below
  return { renderer, face: base.face, poster };
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
