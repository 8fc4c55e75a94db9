import type { VoiceTrack } from '../voice/voice-track.js';
import { VISEME_SILENCE } from '../voice/viseme-classifier.js';
import { clamp, smoothstep } from './random.js';

/** Mouth pose a frame: open (jaw) 0–1, spread (lips wide) 0–1, round (lips pursed) 0–1. */
export interface MouthTrack {
  readonly open: Float32Array;
  readonly spread: Float32Array;
  readonly round: Float32Array;
}

/**
 * Lip shape of each viseme [open, spread, round], after the Oculus viseme reference images.
 * Indexed like VISEMES; closures (PP, FF) nearly shut the mouth whatever the loudness.
 */
const SHAPES: ReadonlyArray<readonly [number, number, number]> = [
  [1.0, 0.35, 0.0], // aa
  [0.7, 0.7, 0.0], // E
  [0.45, 1.0, 0.0], // I
  [0.75, 0.0, 0.75], // O
  [0.4, 0.0, 1.0], // U
  [0.05, 0.2, 0.1], // PP
  [0.25, 0.8, 0.0], // SS
  [0.35, 0.45, 0.0], // TH
  [0.4, 0.5, 0.0], // DD
  [0.15, 0.4, 0.0], // FF
  [0.5, 0.45, 0.0], // kk
  [0.35, 0.45, 0.0], // nn
  [0.45, 0.1, 0.55], // RR
  [0.4, 0.1, 0.7], // CH
  [0.5, 0.4, 0.1], // sil while Silero hears speech: a neutral, half-open shape
];

/** Lips move slightly before the sound they make. */
const LEAD_SEC = 0.04;
const ATTACK_SEC = 0.03;
const RELEASE_SEC = 0.06;
const SHAPE_SEC = 0.06;

/**
 * Turns what was heard into mouth motion: Silero gates speech from silence, loudness sets how far the
 * jaw opens, and the viseme sets the opening's share and the lip shape. Smoothed with separate attack
 * and release so syllables read clearly and the mouth settles shut in pauses.
 */
export function mouthTrack(voice: VoiceTrack): MouthTrack {
  const n = voice.frameCount;
  const dt = 1 / voice.fps;
  const lead = Math.round(LEAD_SEC * voice.fps);
  const { floorDb, peakDb } = loudnessRange(voice);
  const open = new Float32Array(n);
  const spread = new Float32Array(n);
  const round = new Float32Array(n);
  const attack = 1 - Math.exp(-dt / ATTACK_SEC);
  const release = 1 - Math.exp(-dt / RELEASE_SEC);
  const shapeRate = 1 - Math.exp(-dt / SHAPE_SEC);
  let o = 0;
  let s = 0;
  let r = 0;
  for (let f = 0; f < n; f++) {
    const src = Math.min(n - 1, f + lead);
    const gate = smoothstep(0.3, 0.6, voice.speechProb[src]!);
    const loud = clamp((voice.rmsDb[src]! - floorDb) / (peakDb - floorDb), 0, 1);
    const shape = SHAPES[voice.viseme[src]!] ?? SHAPES[VISEME_SILENCE]!;
    const targetOpen = gate * Math.pow(loud, 0.8) * (0.3 + 0.7 * shape[0]);
    o += (targetOpen - o) * (targetOpen > o ? attack : release);
    s += (gate * shape[1] - s) * shapeRate;
    r += (gate * shape[2] - r) * shapeRate;
    open[f] = o;
    spread[f] = s;
    round[f] = r;
  }
  return { open, spread, round };
}

/** Loudness scale of this recording: its loud speech maps to a fully open jaw, whatever the gain. */
export function loudnessRange(voice: VoiceTrack): { floorDb: number; peakDb: number } {
  const speech: number[] = [];
  for (let f = 0; f < voice.frameCount; f++) if (voice.speechProb[f]! > 0.5) speech.push(voice.rmsDb[f]!);
  if (speech.length === 0) return { floorDb: -60, peakDb: -20 };
  speech.sort((a, b) => a - b);
  const peakDb = Math.max(-60, speech[Math.floor(speech.length * 0.95)]!);
  return { floorDb: peakDb - 30, peakDb };
}
