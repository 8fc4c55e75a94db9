import { sentencesIn, type Script } from './script.js';
import type { SpeechCache } from './speech-cache.js';
import { SpeechError, type SpeechEngine, type Voice } from './speech-engine.js';
import { durationOf, type Pcm } from './wav.js';
import { chapterCues, sentenceCues, type Cue } from './webvtt.js';

/** Silences, seconds: what a listener hears as the script's structure. */
const PAUSE = { lead: 0.3, sentence: 0.3, paragraph: 0.7, chapter: 1.0, tail: 0.6 };
/**
 * Each paragraph's part of the voice starts on this grid (seconds; a whole number of frames at any
 * frame rate divisible by 5), after at least PART_TAIL of silence: so a paragraph's part is the same
 * samples wherever it falls in the lesson, and an edit elsewhere leaves it to be reused as it was.
 */
const PART_GRID = 0.2;
const PART_TAIL = 0.1;
/** Sentences synthesised at once (eSpeak NG is a process each; a cloud service limits callers). */
const CONCURRENCY = 2;

/** A script spoken: the audio, its captions and chapters, and what the sentence cache saved. */
export interface Narration {
  readonly pcm: Pcm;
  readonly captions: readonly Cue[];
  readonly chapters: readonly Cue[];
  readonly sentences: number;
  /** Sentences synthesised now; the others came from the cache. */
  readonly synthesized: number;
  /** The cache key of each sentence, in order. */
  readonly keys: readonly string[];
  /** Where each paragraph's (and heading's) part of the voice starts, seconds; the first at 0. */
  readonly parts: readonly number[];
}

/**
 * Speaks scripts with the configured engines: sentence by sentence (each cached by content), joined
 * with pauses that follow the script's structure. Caption timings are the sentences' own boundaries
 * in the joined audio, so they are exact whatever the engine.
 */
export class Narrator {
  constructor(
    private readonly engines: readonly SpeechEngine[],
    private readonly cache: SpeechCache,
  ) {}

  voices(): Voice[] {
    return this.engines.flatMap((e) => e.voices);
  }

  voice(id: string): { engine: SpeechEngine; voice: Voice } | undefined {
    for (const engine of this.engines) {
      const voice = engine.voices.find((v) => v.id === id);
      if (voice) return { engine, voice };
    }
    return undefined;
  }

  async narrate(tenantId: string, script: Script, voiceId: string, signal?: AbortSignal): Promise<Narration> {
    const found = this.voice(voiceId);
    if (!found) throw new SpeechError(`There is no voice ${voiceId}.`, true);
    const { engine, voice } = found;
    if (voice.language !== script.language)
      throw new SpeechError(`The voice ${voice.label} does not speak the script's language.`, true);
    const sentences = sentencesIn(script);
    const keys = sentences.map((s) => this.cache.key(tenantId, engine, voice, s.text));
    const speech: Pcm[] = new Array(sentences.length);
    let synthesized = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < sentences.length) {
        const i = next++;
        const cached = await this.cache.get(keys[i]!);
        if (cached) speech[i] = cached;
        else {
          speech[i] = await engine.synthesize(sentences[i]!.text, voice, signal);
          synthesized++;
          await this.cache.put(keys[i]!, speech[i]);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, sentences.length) }, worker));

    const rate = speech[0]!.sampleRate;
    if (speech.some((p) => p.sampleRate !== rate))
      throw new SpeechError(`${engine.id} answered in more than one sample rate.`, false);
    const pcm: Int16Array[] = [];
    const captions: Cue[] = [];
    const chapterStarts: { title: string; start: number }[] = [];
    const parts = [0];
    let samples = 0;
    const at = (): number => samples / rate;
    const silence = (sec: number): void => {
      const n = Math.round(sec * rate);
      pcm.push(new Int16Array(n));
      samples += n;
    };
    const grid = Math.round(PART_GRID * rate);
    silence(PAUSE.lead);
    sentences.forEach((s, i) => {
      const prev = sentences[i - 1];
      if (prev && (s.chapter !== prev.chapter || s.paragraph !== prev.paragraph)) {
        // A new part: pad the last one to the grid, so this one starts on it.
        silence(PART_TAIL);
        silence(((grid - (samples % grid)) % grid) / rate);
        parts.push(at());
        silence(s.chapter !== prev.chapter ? PAUSE.chapter : PAUSE.paragraph);
      } else if (prev) silence(PAUSE.sentence);
      if (s.paragraph === -1) chapterStarts.push({ title: s.text, start: at() });
      const spoken = speech[i]!;
      captions.push(...sentenceCues(s.text, at(), at() + durationOf(spoken)));
      pcm.push(spoken.samples);
      samples += spoken.samples.length;
    });
    silence(PAUSE.tail);
    const joined = new Int16Array(samples);
    pcm.reduce((offset, p) => (joined.set(p, offset), offset + p.length), 0);
    const end = samples / rate;
    return {
      pcm: { sampleRate: rate, samples: joined },
      captions,
      chapters: chapterCues(chapterStarts, end),
      sentences: sentences.length,
      synthesized,
      keys,
      parts,
    };
  }
}
