/**
 * What the web tool asks of the render node's media code, as interfaces: the composition root
 * (server.ts) hands in the render node's implementations, so no route or service loads an engine.
 */

/** A portrait's face, for the studio to draw over the preview (image pixels). */
export interface PortraitFace {
  readonly imageWidth: number;
  readonly imageHeight: number;
  readonly face: {
    readonly x1: number;
    readonly y1: number;
    readonly x2: number;
    readonly y2: number;
    readonly score: number;
  };
  readonly faceCount: number;
  readonly warnings: readonly string[];
}

/** Finds the face in the portrait at `path`; throws a RenderError (NO_FACE, IMAGE_TOO_LARGE…) if none fits. */
export type FaceFinder = (path: string) => Promise<PortraitFace>;

/** Decodes a recording to mono float PCM at `sampleRate`, chunk by chunk (never whole in memory). */
export type AudioDecoder = (path: string, sampleRate: number) => AsyncIterable<Float32Array>;

/** What the render node accepts as inputs, checked at upload so a render never starts on a bad one. */
export interface InputChecks {
  /** Whether ffmpeg reads audio of this (sniffed) type by its own demuxer. */
  acceptsAudio(mime: string): boolean;
  /** Reads an image's size from its header; throws IMAGE_TOO_LARGE past the render node's limits. */
  checkPortraitSize(path: string): Promise<unknown>;
}

/** A short clip of a portrait speaking a recording: a tutor's answer. */
export interface AnswerClipRequest {
  readonly portraitPath: string;
  readonly audioPath: string;
  /** An empty folder the clip is written to. */
  readonly workDir: string;
  readonly signal?: AbortSignal;
}

export interface AnswerClip {
  /** Inside workDir: the finished, seekable MP4, and the fragmented one that plays while it grows. */
  readonly mp4: string;
  readonly streamed: string;
  readonly durationSec: number;
  /** From the start to the first frame encoded. */
  readonly firstFrameSec: number;
}

/**
 * Renders the clip with the preview engine in one pass. `streamed` exists (and grows) from the moment
 * the function is called until it resolves; the caller serves it meanwhile.
 */
export interface AnswerClipRenderer {
  /** The name of the fragmented MP4 inside workDir, written while the clip renders. */
  readonly streamedName: string;
  render(r: AnswerClipRequest): Promise<AnswerClip>;
}
