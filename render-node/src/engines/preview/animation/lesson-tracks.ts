import type { VoiceTrack } from '../voice/voice-track.js';
import { blinkTrack } from './blink-schedule.js';
import { headTrack, type HeadTrack } from './head-motion.js';
import { mouthTrack, type MouthTrack } from './mouth-track.js';
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

/** The whole lesson animated as one: blinks and sway run on across it, seeded by its voice. */
export function wholeTracks(voice: VoiceTrack): LessonTracks {
  const seed = trackSeed(voice.rmsDb);
  const mouth = mouthTrack(voice);
  return {
    from: 0,
    mouth,
    blink: blinkTrack(voice.frameCount, voice.fps, seed),
    head: headTrack(mouth.open, voice.fps, seed),
  };
}

/**
 * One part of the lesson (frames `from`…`to`) animated from its own voice alone, seeded by it, with
 * the head at rest and the eyes open at both edges. The same audio always gives the same frames, and
 * any two parts join without a jump: what lets a part rendered for one version of a lesson be reused
 * by the next.
 */
export function partTracks(voice: VoiceTrack, from: number, to: number): LessonTracks {
  const part: VoiceTrack = {
    fps: voice.fps,
    frameCount: to - from,
    durationSec: (to - from) / voice.fps,
    rmsDb: voice.rmsDb.subarray(from, to),
    speechProb: voice.speechProb.subarray(from, to),
    viseme: voice.viseme.subarray(from, to),
  };
  const seed = trackSeed(part.rmsDb);
  const mouth = mouthTrack(part);
  const blink = blinkTrack(part.frameCount, voice.fps, seed);
  const head = headTrack(mouth.open, voice.fps, seed);
  const n = part.frameCount;
  for (let f = 0; f < n; f++) {
    const edge = Math.min(f, n - 1 - f) / voice.fps;
    const settle = smoothstep(0, SETTLE_SEC, edge);
    head.x[f]! *= settle;
    head.y[f]! *= settle;
    head.roll[f]! *= settle;
    blink[f]! *= settle;
  }
  return { from, mouth, blink, head };
}

/** FNV-1a over the loudness track: the same recording always gets the same blinks and sway. */
function trackSeed(values: Float32Array): number {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}
