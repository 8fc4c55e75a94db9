import { MODEL_VISEME_SIL } from '@met4citizen/headaudio/modules/parameters.mjs';
import { StreamWorker } from './stream-worker.js';

/** Oculus viseme ids as HeadAudio numbers them. */
export const VISEMES = [
  'aa',
  'E',
  'I',
  'O',
  'U',
  'PP',
  'SS',
  'TH',
  'DD',
  'FF',
  'kk',
  'nn',
  'RR',
  'CH',
  'sil',
] as const;
export const VISEME_SILENCE = MODEL_VISEME_SIL;

/** Visemes heard, as parallel arrays: the viseme id and the centre of its 32 ms analysis window. */
export interface VisemeEvents {
  readonly viseme: Uint8Array;
  readonly centreSec: Float32Array;
}

/**
 * HeadAudio's viseme model (MFCC features, Gaussian prototypes, Mahalanobis distance; MIT) on a
 * worker thread: samples in, a viseme every 16 ms hop out, handed to `onPart` as they are heard.
 */
export function startVisemeClassifier(
  sampleRate: number,
  onPart?: (heard: VisemeEvents, samplesTaken: number) => void,
): StreamWorker<VisemeEvents> {
  return new StreamWorker(new URL('./viseme-worker.js', import.meta.url), { sampleRate }, onPart);
}
