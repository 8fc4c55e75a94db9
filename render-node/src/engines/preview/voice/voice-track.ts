import { RenderError } from '../../../errors.js';
import { decodeAudio } from '../../../media/ffmpeg.js';
import { SileroVad, VAD_SAMPLE_RATE, VAD_WINDOW } from './silero-vad.js';
import { VISEME_SILENCE, VisemeClassifier } from './viseme-classifier.js';

/** What the animation needs to know of the voice, one value a video frame. Small: ~10 bytes a frame. */
export interface VoiceTrack {
  readonly fps: number;
  readonly frameCount: number;
  readonly durationSec: number;
  /** Loudness of the frame's samples, dBFS. */
  readonly rmsDb: Float32Array;
  /** Silero's speech probability at the frame's centre. */
  readonly speechProb: Float32Array;
  /** HeadAudio viseme id heard in the frame (VISEME_SILENCE when none). */
  readonly viseme: Uint8Array;
}

export interface VoiceAnalysisOptions {
  readonly fps: number;
  readonly maxSeconds: number;
  /** Expected duration (from ffprobe), for progress only. */
  readonly expectedSec?: number;
  readonly onProgress?: (fraction: number) => void;
}

/**
 * Streams the audio once through ffmpeg and both models. Memory depends on the number of frames, not
 * on the number of samples: a one-hour lesson keeps ~1 MB of features.
 */
export async function analyseVoice(audioPath: string, o: VoiceAnalysisOptions): Promise<VoiceTrack> {
  const sumSq: number[] = [];
  const count: number[] = [];
  const visemeByFrame: number[] = [];
  const vadProbs: number[] = [];
  const samplesPerFrame = VAD_SAMPLE_RATE / o.fps;
  const vad = await SileroVad.create();
  const visemes = new VisemeClassifier(VAD_SAMPLE_RATE, (viseme, centreSec) => {
    visemeByFrame[Math.floor(centreSec * o.fps)] = viseme;
  });

  const window = new Float32Array(VAD_WINDOW);
  let windowFill = 0;
  let n = 0;
  const maxSamples = o.maxSeconds * VAD_SAMPLE_RATE;
  let lastReport = 0;
  for await (const chunk of decodeAudio(audioPath, VAD_SAMPLE_RATE)) {
    if (n + chunk.length > maxSamples) {
      throw new RenderError('AUDIO_TOO_LONG', `The audio is longer than the limit of ${o.maxSeconds} s.`);
    }
    visemes.push(chunk);
    for (let i = 0; i < chunk.length; i++, n++) {
      const s = chunk[i]!;
      const f = Math.floor(n / samplesPerFrame);
      sumSq[f] = (sumSq[f] ?? 0) + s * s;
      count[f] = (count[f] ?? 0) + 1;
      window[windowFill++] = s;
      if (windowFill === VAD_WINDOW) {
        vadProbs.push(await vad.probability(window));
        windowFill = 0;
      }
    }
    if (o.onProgress && o.expectedSec && n - lastReport > VAD_SAMPLE_RATE) {
      lastReport = n;
      o.onProgress(Math.min(1, n / VAD_SAMPLE_RATE / o.expectedSec));
    }
  }
  if (windowFill > 0) {
    window.fill(0, windowFill);
    vadProbs.push(await vad.probability(window));
  }
  if (n === 0) throw new RenderError('AUDIO_EMPTY', 'The audio file holds no sound (zero length).');

  const durationSec = n / VAD_SAMPLE_RATE;
  const frameCount = Math.max(1, Math.round(durationSec * o.fps));
  const rmsDb = new Float32Array(frameCount);
  const speechProb = new Float32Array(frameCount);
  const viseme = new Uint8Array(frameCount).fill(VISEME_SILENCE);
  for (let f = 0; f < frameCount; f++) {
    const energy = (sumSq[f] ?? 0) / Math.max(1, count[f] ?? 0);
    rmsDb[f] = 10 * Math.log10(energy + 1e-10);
    const centre = (f + 0.5) * samplesPerFrame;
    speechProb[f] = vadProbs[Math.min(vadProbs.length - 1, Math.floor(centre / VAD_WINDOW))] ?? 0;
    // Silero decides what is speech; HeadAudio only says which shape it is.
    const v = visemeByFrame[f];
    if (v !== undefined && speechProb[f]! >= 0.5) viseme[f] = v;
  }
  o.onProgress?.(1);
  return { fps: o.fps, frameCount, durationSec, rmsDb, speechProb, viseme };
}
