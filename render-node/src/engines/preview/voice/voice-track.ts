import { RenderError } from '../../../contract/render-errors.js';
import { decodeAudio } from '../../../media/ffmpeg.js';
import { startVoiceActivity, VAD_SAMPLE_RATE, VAD_WINDOW } from './silero-vad.js';
import { startVisemeClassifier, VISEME_SILENCE, type VisemeEvents } from './viseme-classifier.js';
import type { StreamWorker } from './stream-worker.js';

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
  /** Seconds of audio analysed so far, about once a second of audio. */
  readonly onProgress?: (analysedSec: number) => void;
}

/** The two analysis workers; started ahead of time, their start-up overlaps other work. */
export interface VoiceWorkers {
  readonly vad: StreamWorker<Float32Array>;
  readonly visemes: StreamWorker<VisemeEvents>;
}

export function startVoiceWorkers(): VoiceWorkers {
  return { vad: startVoiceActivity(), visemes: startVisemeClassifier(VAD_SAMPLE_RATE) };
}

export async function closeVoiceWorkers(w: VoiceWorkers): Promise<void> {
  await Promise.all([w.vad.close(), w.visemes.close()]);
}

/**
 * Streams the audio once through ffmpeg and both models. Memory depends on the number of frames, not
 * on the number of samples: a one-hour lesson keeps ~1 MB of features.
 */
export async function analyseVoice(
  audioPath: string,
  o: VoiceAnalysisOptions,
  workers: VoiceWorkers = startVoiceWorkers(),
): Promise<VoiceTrack> {
  const { vad, visemes } = workers;
  const sumSq: number[] = [];
  const count: number[] = [];
  const samplesPerFrame = VAD_SAMPLE_RATE / o.fps;

  let n = 0;
  const maxSamples = o.maxSeconds * VAD_SAMPLE_RATE;
  let lastReport = 0;
  let vadProbs: Float32Array;
  let heard: VisemeEvents;
  try {
    for await (const chunk of decodeAudio(audioPath, VAD_SAMPLE_RATE)) {
      if (n + chunk.length > maxSamples) {
        throw new RenderError('AUDIO_TOO_LONG', `The audio is longer than the limit of ${o.maxSeconds} s.`);
      }
      for (let i = 0; i < chunk.length; i++, n++) {
        const s = chunk[i]!;
        const f = Math.floor(n / samplesPerFrame);
        sumSq[f] = (sumSq[f] ?? 0) + s * s;
        count[f] = (count[f] ?? 0) + 1;
      }
      // Each worker gets its own copy (the buffer is moved, not cloned).
      await Promise.all([vad.push(chunk.slice()), visemes.push(chunk)]);
      if (o.onProgress && n - lastReport > VAD_SAMPLE_RATE) {
        lastReport = n;
        o.onProgress(n / VAD_SAMPLE_RATE);
      }
    }
    [vadProbs, heard] = await Promise.all([vad.finish(), visemes.finish()]);
  } catch (e) {
    await closeVoiceWorkers(workers);
    throw e;
  }
  if (n === 0) throw new RenderError('AUDIO_EMPTY', 'The audio file holds no sound (zero length).');

  const durationSec = n / VAD_SAMPLE_RATE;
  const frameCount = Math.max(1, Math.round(durationSec * o.fps));
  const rmsDb = new Float32Array(frameCount);
  const speechProb = new Float32Array(frameCount);
  const viseme = new Uint8Array(frameCount).fill(VISEME_SILENCE);
  const visemeByFrame: number[] = [];
  heard.centreSec.forEach((t, i) => (visemeByFrame[Math.floor(t * o.fps)] = heard.viseme[i]!));
  for (let f = 0; f < frameCount; f++) {
    const energy = (sumSq[f] ?? 0) / Math.max(1, count[f] ?? 0);
    rmsDb[f] = 10 * Math.log10(energy + 1e-10);
    const centre = (f + 0.5) * samplesPerFrame;
    // The window holding the frame and its neighbours: a window is 2–3 frames long, and the mouth
    // must not open late at the start of a phrase nor close early at its end.
    const w = Math.floor(centre / VAD_WINDOW);
    speechProb[f] = Math.max(vadProbs[w - 1] ?? 0, vadProbs[w] ?? 0, vadProbs[w + 1] ?? 0);
    // Silero decides what is speech; HeadAudio only says which shape it is.
    const v = visemeByFrame[f];
    if (v !== undefined && speechProb[f]! >= 0.5) viseme[f] = v;
  }
  return { fps: o.fps, frameCount, durationSec, rmsDb, speechProb, viseme };
}
