import { blinkTrack } from '../../render-node/src/engines/preview/animation/blink-schedule.js';
import { headTrack } from '../../render-node/src/engines/preview/animation/head-motion.js';
import { mouthTrack } from '../../render-node/src/engines/preview/animation/mouth-track.js';
import { VISEMES, VISEME_SILENCE } from '../../render-node/src/engines/preview/voice/viseme-classifier.js';
import type { VoiceTrack } from '../../render-node/src/engines/preview/voice/voice-track.js';

const FPS = 25;

/** Blink onsets: frames where the lid starts to close. */
function onsets(lid: Float32Array): number[] {
  const out: number[] = [];
  for (let f = 1; f < lid.length; f++) if (lid[f]! > 0 && lid[f - 1] === 0) out.push(f);
  return out;
}

describe('blinks', () => {
  const lid = blinkTrack(FPS * 120, FPS, 42);

  it('is the same for the same seed and differs for another', () => {
    expect(blinkTrack(FPS * 120, FPS, 42)).toEqual(lid);
    expect(blinkTrack(FPS * 120, FPS, 43)).not.toEqual(lid);
  });

  it('blinks at a natural rate at irregular intervals, each closing fully', () => {
    const starts = onsets(lid);
    const gaps = starts.slice(1).map((f, i) => (f - starts[i]!) / FPS);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length);
    expect(starts.length).toBeGreaterThanOrEqual(20); // 10–40 blinks a minute
    expect(starts.length).toBeLessThanOrEqual(80);
    expect(mean).toBeGreaterThan(1.5);
    expect(mean).toBeLessThan(6);
    expect(sd).toBeGreaterThan(0.5); // not a metronome
    expect(Math.max(...gaps.filter((g) => g > 0.5))).toBeGreaterThan(mean);
    expect(Array.from(lid).filter((v) => v === 1).length).toBeGreaterThanOrEqual(starts.length);
    expect(Math.min(...lid)).toBe(0);
  });

  it('keeps each blink short (≤ 300 ms closed or closing)', () => {
    let run = 0;
    let longest = 0;
    for (const v of lid) {
      run = v > 0 ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    expect(longest / FPS).toBeLessThanOrEqual(0.7); // a double blink at most
  });
});

function voice(frames: Array<{ prob: number; db: number; viseme?: (typeof VISEMES)[number] }>): VoiceTrack {
  return {
    fps: FPS,
    frameCount: frames.length,
    durationSec: frames.length / FPS,
    rmsDb: Float32Array.from(frames.map((f) => f.db)),
    speechProb: Float32Array.from(frames.map((f) => f.prob)),
    viseme: Uint8Array.from(frames.map((f) => (f.viseme ? VISEMES.indexOf(f.viseme) : VISEME_SILENCE))),
  };
}

describe('mouth track', () => {
  const silence = Array.from({ length: 25 }, () => ({ prob: 0.02, db: -70 }));
  const loudAa = Array.from({ length: 25 }, () => ({ prob: 0.95, db: -18, viseme: 'aa' as const }));
  const quietAa = Array.from({ length: 25 }, () => ({ prob: 0.95, db: -38, viseme: 'aa' as const }));
  const closedPP = Array.from({ length: 25 }, () => ({ prob: 0.95, db: -18, viseme: 'PP' as const }));

  it('stays shut in silence and opens with loud speech', () => {
    const m = mouthTrack(voice([...silence, ...loudAa, ...silence]));
    expect(Math.max(...m.open.subarray(0, 24))).toBe(0);
    expect(Math.min(...m.open.subarray(30, 49))).toBeGreaterThan(0.8);
    expect(m.open[74]!).toBeLessThan(0.01); // settles shut within a second of silence
  });

  it('opens further for louder sound', () => {
    const m = mouthTrack(voice([...silence, ...loudAa, ...quietAa]));
    expect(m.open[45]!).toBeGreaterThan(m.open[70]! + 0.2);
  });

  it('nearly closes the lips on closures (P, B, M) even when loud', () => {
    const m = mouthTrack(voice([...silence, ...loudAa, ...closedPP]));
    expect(m.open[70]!).toBeLessThan(0.5 * m.open[45]!);
  });

  it('rounds the lips for O/U and spreads them for I/E', () => {
    const rounded = mouthTrack(
      voice([
        ...silence,
        ...Array.from({ length: 25 }, () => ({ prob: 0.9, db: -20, viseme: 'U' as const })),
      ]),
    );
    const spread = mouthTrack(
      voice([
        ...silence,
        ...Array.from({ length: 25 }, () => ({ prob: 0.9, db: -20, viseme: 'I' as const })),
      ]),
    );
    expect(rounded.round[45]!).toBeGreaterThan(0.8);
    expect(rounded.spread[45]!).toBeLessThan(0.1);
    expect(spread.spread[45]!).toBeGreaterThan(0.8);
    expect(spread.round[45]!).toBeLessThan(0.1);
  });

  it('leads the sound by a frame', () => {
    const m = mouthTrack(voice([...silence, ...loudAa]));
    expect(m.open[24]!).toBeGreaterThan(0); // moves in the frame before the sound starts
    expect(m.open[23]!).toBe(0);
  });
});

describe('head motion', () => {
  it('moves a little, always, and dips on emphasis', () => {
    const still = new Float32Array(FPS * 60);
    const h = headTrack(still, FPS, 7);
    const range = (a: Float32Array): number => Math.max(...a) - Math.min(...a);
    expect(range(h.x)).toBeGreaterThan(0.005);
    expect(range(h.y)).toBeGreaterThan(0.005);
    expect(Math.max(...h.x.map(Math.abs), ...h.y.map(Math.abs))).toBeLessThan(0.05); // a few % of the face
    expect(Math.max(...h.roll.map(Math.abs))).toBeLessThan(0.04); // < 2.3°
    // per-frame steps are small: no jitter
    for (let f = 1; f < h.x.length; f++) expect(Math.abs(h.x[f]! - h.x[f - 1]!)).toBeLessThan(0.002);

    const speaking = new Float32Array(FPS * 60);
    for (let f = 250; f < 260; f++) speaking[f] = 1;
    const nodding = headTrack(speaking, FPS, 7);
    expect(Math.max(...nodding.y.subarray(250, 275)) - Math.max(...h.y.subarray(250, 275))).toBeGreaterThan(
      0.005,
    );
  });
});
