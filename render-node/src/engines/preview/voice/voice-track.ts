import { VoiceStream } from './voice-stream.js';

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

/**
 * The same values as a voice that may still be coming in: frames 0 … known − 1 are final, and
 * frameCount is set once the voice has ended.
 */
export interface VoiceFrames {
  readonly fps: number;
  readonly known: number;
  readonly frameCount: number | undefined;
  readonly rmsDb: ArrayLike<number>;
  readonly speechProb: ArrayLike<number>;
  readonly viseme: ArrayLike<number>;
}

/** A whole track, read as frames. */
export const framesOf = (track: VoiceTrack): VoiceFrames => ({ ...track, known: track.frameCount });

export interface VoiceAnalysisOptions {
  readonly fps: number;
  readonly maxSeconds: number;
  /** Seconds of audio analysed so far, about once a second of audio. */
  readonly onProgress?: (analysedSec: number) => void;
}

/**
 * Streams the audio once through ffmpeg and both models (VoiceStream, read to its end). Memory depends
 * on the number of frames, not on the number of samples: a one-hour lesson keeps ~1 MB of features.
 */
export async function analyseVoice(
  audioPath: string,
  o: VoiceAnalysisOptions,
  stream: VoiceStream = new VoiceStream(o.fps),
): Promise<VoiceTrack> {
  return stream.analyse(audioPath, o);
}
