import { modelPath } from '../../../models/onnx-session.js';
import { StreamWorker } from './stream-worker.js';

export const VAD_SAMPLE_RATE = 16000;
/**
 * Silero v4 takes 32, 64 or 96 ms windows at 16 kHz. Its cost is per call, not per sample, so we use
 * 96 ms (1536 samples, vad-node's own default for v4); voice-track widens speech by a window on each
 * side so onsets are never late.
 */
export const VAD_WINDOW = 1536;

/**
 * Silero VAD (v4, ONNX) on a worker thread: speech probability for each window, in order, handed to
 * `onPart` as windows complete.
 */
export function startVoiceActivity(
  onPart?: (probabilities: Float32Array, samplesTaken: number) => void,
): StreamWorker<Float32Array> {
  return new StreamWorker(
    new URL('./silero-vad-worker.js', import.meta.url),
    { modelPath: modelPath('sileroVad'), window: VAD_WINDOW },
    onPart,
  );
}
