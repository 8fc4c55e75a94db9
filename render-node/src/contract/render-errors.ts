/**
 * Errors a render can end with. `code` is stable (logs, tests, the render history); `message` is
 * written for the author who will read it. A permanent error will fail the same way if retried.
 */
export type RenderErrorCode =
  | 'INPUT_NOT_FOUND'
  | 'NOT_AN_IMAGE'
  | 'IMAGE_CORRUPT'
  | 'IMAGE_TOO_LARGE'
  | 'NO_FACE'
  | 'FACE_TOO_SMALL'
  | 'NOT_AUDIO'
  | 'AUDIO_EMPTY'
  | 'AUDIO_CORRUPT'
  | 'AUDIO_TOO_LONG'
  | 'BAD_SIZE'
  | 'BAD_FPS'
  | 'OUTPUT_EXISTS'
  | 'BAD_OUTPUT'
  | 'MODEL_MISSING'
  | 'ENGINE_UNAVAILABLE'
  | 'ENCODER_FAILED'
  | 'GPU_OUT_OF_MEMORY'
  | 'MODEL_FAILED'
  | 'MODEL_HUNG'
  | 'CANCELLED'
  | 'BAD_JOB'
  | 'INPUT_MISMATCH'
  | 'TRANSFER_FAILED'
  | 'UPLOAD_REFUSED';

const TRANSIENT: ReadonlySet<RenderErrorCode> = new Set([
  'ENCODER_FAILED',
  'MODEL_FAILED',
  'MODEL_HUNG',
  'TRANSFER_FAILED',
]);

export class RenderError extends Error {
  readonly code: RenderErrorCode;

  constructor(code: RenderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RenderError';
    this.code = code;
  }

  /** Bad input fails at once; only infrastructure trouble is worth a retry. */
  get permanent(): boolean {
    return !TRANSIENT.has(this.code);
  }
}

export const isRenderError = (e: unknown): e is RenderError => e instanceof RenderError;
