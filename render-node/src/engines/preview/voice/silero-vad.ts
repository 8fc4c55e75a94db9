import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../config.js';
import { RenderError } from '../../../errors.js';
import { MODEL_FILES } from '../../../models/onnx-session.js';
import { StreamWorker } from './stream-worker.js';

export const VAD_SAMPLE_RATE = 16000;
/**
 * Silero v4 takes 32, 64 or 96 ms windows at 16 kHz. Its cost is per call, not per sample, so we use
 * 96 ms (1536 samples, vad-node's own default for v4); voice-track widens speech by a window on each
 * side so onsets are never late.
 */
export const VAD_WINDOW = 1536;

/** Silero VAD (v4, ONNX) on a worker thread: speech probability for each window, in order. */
export function startVoiceActivity(modelDir = loadConfig().VT_MODEL_DIR): StreamWorker<Float32Array> {
  const modelPath = join(modelDir, MODEL_FILES.sileroVad);
  if (!existsSync(modelPath)) {
    throw new RenderError(
      'MODEL_MISSING',
      `Model file ${modelPath} is missing. Run "node scripts/fetch-models.mjs".`,
    );
  }
  return new StreamWorker(new URL('./silero-vad-worker.js', import.meta.url), {
    modelPath,
    window: VAD_WINDOW,
  });
}
