import type { ScriptLanguage } from './languages.js';
import type { Pcm } from './wav.js';

/** A voice of an engine. Its id is unique across engines: `<engine>/<engine's own name>`. */
export interface Voice {
  readonly id: string;
  readonly language: ScriptLanguage;
  readonly label: string;
}

/**
 * A text-to-speech engine: one sentence in, its speech out. `version` names everything that changes
 * the sound for the same text and voice (program version, model, output format), so cached speech of
 * another version is never reused.
 */
export interface SpeechEngine {
  readonly id: string;
  readonly version: string;
  readonly voices: readonly Voice[];
  synthesize(text: string, voice: Voice, signal?: AbortSignal): Promise<Pcm>;
}

/** Synthesis failed; `permanent` when trying again cannot help (a refused key, a refused text). */
export class SpeechError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}
