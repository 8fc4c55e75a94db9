import { framesOf, type VoiceFrames, type VoiceTrack } from '../voice/voice-track.js';
import type { FramePose } from '../render/frame-renderer.js';
import { BlinkSchedule } from './blink-schedule.js';
import { HeadMotion, type HeadTrack } from './head-motion.js';
import { MouthMotion, type MouthTrack } from './mouth-track.js';
import { smoothstep } from './random.js';

/** Every per-frame value the frame renderer needs, for frames from `from` on. */
export interface LessonTracks {
  readonly from: number;
  readonly mouth: MouthTrack;
  readonly blink: Float32Array;
  readonly head: HeadTrack;
}

/** How long the head takes to settle to rest (and the eyes stay open) at a part's edges. */
const SETTLE_SEC = 0.25;
/** The voice's first second seeds its blinks and sway. */
const SEED_SEC = 1;

/**
 * The whole lesson animated as one, frame after frame, from a voice that may still be coming in:
 * blinks and sway run on across it, seeded by its first second. Frame f can be posed once the voice
 * is final up to `needs(f)`, so the first frames are drawn a moment after the voice starts to be
 * analysed, whatever the lesson's length.
 */
export class LessonAnimator {
  private readonly mouth: MouthMotion;
  private head: HeadMotion | undefined;
  private blink: BlinkSchedule | undefined;

  constructor(private readonly voice: VoiceFrames) {
    this.mouth = new MouthMotion(voice);
  }

  /** The last voice frame that must be final before frame f can be posed (the voice's end comes sooner). */
  needs(f: number): number {
    return Math.max(f + this.mouth.ahead, Math.round(SEED_SEC * this.voice.fps) - 1);
  }

  /** Frame f's pose; frames are asked for in order, 0 first. */
  pose(f: number, into: FramePose): void {
    if (!this.head || !this.blink) {
      const v = this.voice;
      const seeding = Math.min(Math.round(SEED_SEC * v.fps), v.frameCount ?? Infinity);
      if (seeding > v.known) throw new Error(`voice frame ${seeding - 1} is not final yet`);
      const seed = trackSeed(Float32Array.from({ length: seeding }, (_, i) => v.rmsDb[i]!));
      this.head = new HeadMotion(v.fps, seed);
      this.blink = new BlinkSchedule(v.fps, seed);
    }
    this.mouth.at(f, into);
    this.head.at(f, into.open, into);
    into.blink = this.blink.at(f);
  }
}

/** The whole lesson animated as one (LessonAnimator over every frame of a whole voice). */
export function wholeTracks(voice: VoiceTrack): LessonTracks {
  const n = voice.frameCount;
  const animator = new LessonAnimator(framesOf(voice));
  const tracks: LessonTracks = {
    from: 0,
    mouth: { open: new Float32Array(n), spread: new Float32Array(n), round: new Float32Array(n) },
    blink: new Float32Array(n),
    head: { x: new Float32Array(n), y: new Float32Array(n), roll: new Float32Array(n) },
  };
  const pose: FramePose = { headX: 0, headY: 0, roll: 0, open: 0, spread: 0, round: 0, blink: 0 };
  for (let f = 0; f < n; f++) {
    animator.pose(f, pose);
    tracks.mouth.open[f] = pose.open;
    tracks.mouth.spread[f] = pose.spread;
    tracks.mouth.round[f] = pose.round;
    tracks.blink[f] = pose.blink;
    tracks.head.x[f] = pose.headX;
    tracks.head.y[f] = pose.headY;
    tracks.head.roll[f] = pose.roll;
  }
  return tracks;
}

/**
 * One part of the lesson (frames `from`…`to`) animated from its own voice alone, seeded by it, with
 * the head at rest and the eyes open at both edges. The same audio always gives the same frames, and
 * any two parts join without a jump: what lets a part rendered for one version of a lesson be reused
 * by the next.
 */
export function partTracks(voice: VoiceTrack, from: number, to: number): LessonTracks {
  const part = wholeTracks({
    fps: voice.fps,
    frameCount: to - from,
    durationSec: (to - from) / voice.fps,
    rmsDb: voice.rmsDb.subarray(from, to),
    speechProb: voice.speechProb.subarray(from, to),
    viseme: voice.viseme.subarray(from, to),
  });
  const { head, blink } = part;
  const n = to - from;
  for (let f = 0; f < n; f++) {
    const edge = Math.min(f, n - 1 - f) / voice.fps;
    const settle = smoothstep(0, SETTLE_SEC, edge);
    head.x[f]! *= settle;
    head.y[f]! *= settle;
    head.roll[f]! *= settle;
    blink[f]! *= settle;
  }
  return { ...part, from };
}

/** The frame pose of frame f from tracks made ahead. */
export function trackPose(tracks: LessonTracks, f: number, into: FramePose): void {
  const i = f - tracks.from;
  into.headX = tracks.head.x[i]!;
  into.headY = tracks.head.y[i]!;
  into.roll = tracks.head.roll[i]!;
  into.open = tracks.mouth.open[i]!;
  into.spread = tracks.mouth.spread[i]!;
  into.round = tracks.mouth.round[i]!;
  into.blink = tracks.blink[i]!;
}

/** FNV-1a over the loudness track: the same recording always gets the same blinks and sway. */
function trackSeed(values: Float32Array): number {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}
