import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadConfig } from '../config.js';
import { RenderError } from '../contract/render-errors.js';

export { ort };

/** Model files under the model folder (VT_MODEL_DIR); scripts/fetch-models.mjs puts them there. */
export const MODEL_FILES = {
  blazefaceBack256: 'blazeface/face_detection_back_256x256.onnx',
  blazefaceFront128: 'blazeface/face_detection_front_128x128.onnx',
  sileroVad: 'silero/silero_vad.onnx',
} as const;
export type ModelName = keyof typeof MODEL_FILES;

/** Where a model file is; refuses, saying how to fetch it, when it is not there. */
export function modelPath(name: ModelName, modelDir = loadConfig().VT_MODEL_DIR): string {
  const path = join(modelDir, MODEL_FILES[name]);
  if (!existsSync(path)) {
    throw new RenderError(
      'MODEL_MISSING',
      `Model file ${path} is missing. Run "node scripts/fetch-models.mjs" (part of scripts/setup.sh).`,
    );
  }
  return path;
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/** One ONNX Runtime session per model and process: loading costs far more than a run. */
export function modelSession(name: ModelName, modelDir = loadConfig().VT_MODEL_DIR): Promise<ort.InferenceSession> {
  const path = modelPath(name, modelDir);
  let session = sessions.get(path);
  if (!session) {
    session = ort.InferenceSession.create(path, {
      logSeverityLevel: 3, // BlazeFace's export warns about unused initialisers on every load
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    });
    sessions.set(path, session);
    session.catch(() => sessions.delete(path));
  }
  return session;
}
