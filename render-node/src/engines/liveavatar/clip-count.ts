/**
 * How many clips and frames Live Avatar renders for a stretch of audio, as its code counts them
 * (shared/docs/liveavatar.md, corrections): wav2vec2 turns 16 kHz audio into ~50 feature frames a
 * second (a stack of strided convolutions, so a little under), which are interpolated to 30 a second;
 * a clip is 48 video frames = 57.6 of those; clips = int(features / 57.6) + 1. A stretch of exactly
 * k × 1.92 s therefore gets k clips, not k + 1, and its video comes out 3 frames short.
 */
const SAMPLE_RATE = 16000;
/** wav2vec2's feature encoder: (kernel, stride) of each convolution. */
const CONVOLUTIONS: ReadonlyArray<readonly [number, number]> = [
  [10, 5],
  [3, 2],
  [3, 2],
  [3, 2],
  [3, 2],
  [2, 2],
  [2, 2],
];
export const FRAMES_PER_CLIP = 48;
/** The first clip drops its first 3 frames (motion frames). */
const DROPPED_FRAMES = 3;

/** Audio feature frames (30 a second) for `samples` at 16 kHz. */
function featureFrames(samples: number): number {
  let n = samples;
  for (const [kernel, stride] of CONVOLUTIONS) n = n < kernel ? 0 : Math.floor((n - kernel) / stride) + 1;
  return Math.floor((n / 50) * 30);
}

/** Clips the model renders for `seconds` of audio (it pads the last clip with silence). */
export const modelClips = (seconds: number): number =>
  Math.floor(featureFrames(Math.round(seconds * SAMPLE_RATE)) / 57.6) + 1;

/** Video frames the model writes for `seconds` of audio, before the mux cuts it to the audio. */
export const modelFrames = (seconds: number): number =>
  FRAMES_PER_CLIP * modelClips(seconds) - DROPPED_FRAMES;
