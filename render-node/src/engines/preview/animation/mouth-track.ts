import { framesOf, type VoiceFrames, type VoiceTrack } from '../voice/voice-track.js';
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
/** How far ahead the loudness scale looks: a lesson's first words are scaled by its first seconds. */
export const LOUDNESS_AHEAD_SEC = 1;

/**
 * Turns what was heard into mouth motion, frame after frame: Silero gates speech from silence,
 * loudness sets how far the jaw opens, and the viseme sets the opening's share and the lip shape.
 * Smoothed with separate attack and release so syllables read clearly and the mouth settles shut in
 * pauses. Causal but for a short look-ahead (`ahead`), so a render can draw frames while the rest of
 * the voice is still being analysed, and a ten-minute lesson starts as soon as a one-minute one.
 */
export class MouthMotion {
  /** Voice frames past frame f that must be final before frame f's mouth is known. */
  readonly ahead: number;
  private readonly lead: number;
  private readonly attack: number;
  private readonly release: number;
  private readonly shapeRate: number;
  private readonly loudness = new SpeechLoudness();
  private fed = 0;
  private next = 0;
  private o = 0;
  private s = 0;
  private r = 0;

  constructor(private readonly voice: VoiceFrames) {
    const dt = 1 / voice.fps;
    this.lead = Math.round(LEAD_SEC * voice.fps);
    this.ahead = Math.max(this.lead, Math.round(LOUDNESS_AHEAD_SEC * voice.fps));
    this.attack = 1 - Math.exp(-dt / ATTACK_SEC);
    this.release = 1 - Math.exp(-dt / RELEASE_SEC);
    this.shapeRate = 1 - Math.exp(-dt / SHAPE_SEC);
  }

  /** Frame f's mouth [open, spread, round]; frames are asked for in order, 0 first. */
  at(f: number, into: MouthPose): void {
    if (f !== this.next) throw new Error(`mouth motion asked for frame ${f}, expected ${this.next}`);
    this.next++;
    const v = this.voice;
    const last = (v.frameCount ?? Infinity) - 1;
    const upTo = Math.min(last, f + this.ahead);
    if (upTo >= v.known) throw new Error(`voice frame ${upTo} is not final yet`);
    for (; this.fed <= upTo; this.fed++)
      if (v.speechProb[this.fed]! > 0.5) this.loudness.add(v.rmsDb[this.fed]!);
    const { floorDb, peakDb } = this.loudness.range();
    const src = Math.min(last, f + this.lead);
    const gate = smoothstep(0.3, 0.6, v.speechProb[src]!);
    const loud = clamp((v.rmsDb[src]! - floorDb) / (peakDb - floorDb), 0, 1);
    const shape = SHAPES[v.viseme[src]!] ?? SHAPES[VISEME_SILENCE]!;
    const targetOpen = gate * Math.pow(loud, 0.8) * (0.3 + 0.7 * shape[0]);
    this.o += (targetOpen - this.o) * (targetOpen > this.o ? this.attack : this.release);
    this.s += (gate * shape[1] - this.s) * this.shapeRate;
    this.r += (gate * shape[2] - this.r) * this.shapeRate;
    into.open = this.o;
    into.spread = this.s;
    into.round = this.r;
  }
}

export interface MouthPose {
  open: number;
  spread: number;
  round: number;
}

/** The whole track's mouth motion (MouthMotion over every frame). */
export function mouthTrack(voice: VoiceTrack): MouthTrack {
  const n = voice.frameCount;
  const motion = new MouthMotion(framesOf(voice));
  const open = new Float32Array(n);
  const spread = new Float32Array(n);
  const round = new Float32Array(n);
  const pose: MouthPose = { open: 0, spread: 0, round: 0 };
  for (let f = 0; f < n; f++) {
    motion.at(f, pose);
    open[f] = pose.open;
    spread[f] = pose.spread;
    round[f] = pose.round;
  }
  return { open, spread, round };
}

/**
 * The recording's loudness scale, from its speech heard so far: its loud speech (the 95th percentile,
 * on a 0.1 dB grid) maps to a fully open jaw, whatever the gain.
 */
class SpeechLoudness {
  private static readonly MIN_DB = -120;
  private readonly bins = new Uint32Array(1201);
  private n = 0;
  private cached: { floorDb: number; peakDb: number } | undefined;

  add(db: number): void {
    const bin = Math.round((db - SpeechLoudness.MIN_DB) * 10);
    this.bins[Math.min(this.bins.length - 1, Math.max(0, bin))]!++;
    this.n++;
    this.cached = undefined;
  }

  range(): { floorDb: number; peakDb: number } {
    if (this.n === 0) return { floorDb: -60, peakDb: -20 };
    if (!this.cached) {
      const rank = Math.floor(this.n * 0.95);
      let bin = 0;
      for (let seen = this.bins[0]!; seen <= rank; seen += this.bins[++bin]!);
      const peakDb = Math.max(-60, SpeechLoudness.MIN_DB + bin / 10);
      this.cached = { floorDb: peakDb - 30, peakDb };
    }
    return this.cached;
  }
}
