import { Readable } from 'node:stream';
import { z } from 'zod';
import type { Asset, AssetRepository } from '../assets/asset-repository.js';
import type { MediaStore } from '../media/media-store.js';
import type { Narrator } from './narrator.js';
import { ScriptLanguageSchema, type ScriptLanguage } from './languages.js';
import { parseScript, ScriptError, sentencesIn } from './script.js';
import { speechSpans } from './speech-spans.js';
import type { AudioDecoder } from '../media/media-tools.js';
import { alignTranscript } from './transcript-alignment.js';
import { QuestionSchema } from '../questions/question-set.js';
import { scriptQuestions } from '../questions/script-questions.js';
import { durationOf, writeWav } from './wav.js';
import { chapterCues, sentenceCues, webVtt, type Cue } from './webvtt.js';

/** What a lesson version keeps of its script (lesson_versions.narration). */
export const NarrationRecordSchema = z.object({
  /** Spoken from the script by the product, or a recording's transcript timed against it. */
  source: z.enum(['script', 'transcript']).optional(),
  script: z.string(),
  language: ScriptLanguageSchema,
  /** The speaker of a script; none for a recording. */
  voice: z.string().optional(),
  /** sha256 of the captions' WebVTT in the media store. */
  captions: z.string(),
  /** sha256 of the chapters' WebVTT, when the script has headings. */
  chapters: z.string().optional(),
  chapterList: z.array(z.object({ title: z.string(), start: z.number() })),
  durationSec: z.number(),
  /** Where each paragraph's part of the spoken voice starts, seconds (renders reuse unchanged parts). */
  parts: z.array(z.number()).optional(),
  /** The script's question blocks, timed where they stand: the lesson asks them while this version is published. */
  questions: z.array(QuestionSchema).optional(),
});
export type NarrationRecord = z.infer<typeof NarrationRecordSchema>;

/** A script spoken and stored: the audio asset to render from, and what the version keeps. */
export interface PreparedNarration {
  readonly audio: Asset;
  readonly record: NarrationRecord;
  readonly captions: readonly Cue[];
  readonly sentences: number;
  readonly synthesized: number;
}

/**
 * Turns an author's script into a lesson's voice: speaks it (sentence cache first), stores the audio
 * as the tenant's asset and the captions and chapters as WebVTT, and says what it cost. Everything is
 * stored before anything refers to it, so a failure leaves no half-made version behind.
 */
export class NarrationService {
  constructor(
    private readonly d: {
      narrator: Narrator;
      store: MediaStore;
      assets: AssetRepository;
      maxScriptChars: number;
      /** Recordings are read through it to time a transcript. */
      decodeAudio: AudioDecoder;
      /** Recordings longer than this are not aligned (the render refuses them anyway). */
      maxAudioSeconds?: number;
    },
  ) {}

  voices() {
    return this.d.narrator.voices();
  }

  async prepare(
    tenantId: string,
    input: { script: string; language: ScriptLanguage; voice: string },
    signal?: AbortSignal,
  ): Promise<PreparedNarration> {
    const script = parseScript(input.script, input.language, this.d.maxScriptChars);
    // Question blocks are checked before anything is spoken: a mistake in one costs no synthesis.
    scriptQuestions(script, [], 0);
    const n = await this.d.narrator.narrate(tenantId, script, input.voice, signal);
    const questions = scriptQuestions(script, n.parts, durationOf(n.pcm));
    const wav = await this.put(writeWav(n.pcm));
    const audio: Asset = {
      sha256: wav.sha256,
      kind: 'audio',
      contentType: 'audio/wav',
      bytes: wav.bytes,
      originalName: 'narration.wav',
    };
    await this.d.assets.put(tenantId, audio);
    return {
      audio,
      captions: n.captions,
      sentences: n.sentences,
      synthesized: n.synthesized,
      record: {
        source: 'script',
        script: input.script,
        language: input.language,
        voice: input.voice,
        ...(await this.storeTracks(n.captions, n.chapters)),
        durationSec: durationOf(n.pcm),
        parts: n.parts.map((t) => Math.round(t * 1000) / 1000),
        ...(questions.length && { questions }),
      },
    };
  }

  /**
   * Captions for a recording from the author's transcript: its sentences timed against the speech in
   * the recording (headings are chapters, not said). Stored before anything refers to them.
   */
  async transcribe(
    tenantId: string,
    audioSha256: string,
    input: { text: string; language: ScriptLanguage },
  ): Promise<{ record: NarrationRecord; captions: readonly Cue[] } | undefined> {
    // Not the tenant's recording: the render refuses it, with the reason.
    const audio = await this.d.assets.get(tenantId, audioSha256);
    if (audio?.kind !== 'audio') return undefined;
    const script = parseScript(input.text, input.language, this.d.maxScriptChars);
    if (script.questions.length)
      throw new ScriptError(
        'question',
        'Question blocks are read in scripts the tool speaks; for a recording, add the questions in the Questions section.',
      );
    const said = sentencesIn(script).filter((s) => s.paragraph !== -1);
    if (!said.length)
      throw new ScriptError('empty', 'The transcript has nothing said: write what the recording says.');
    const speech = await speechSpans(
      this.d.store.path(audio.sha256),
      this.d.maxAudioSeconds ?? 4 * 3600,
      this.d.decodeAudio,
    ).catch((e: Error) => {
      throw new ScriptError(
        'no-speech',
        `The recording could not be read to time the transcript: ${e.message}`,
      );
    });
    if (!speech.spans.length)
      throw new ScriptError(
        'no-speech',
        'No speech was heard in the recording to time the transcript against.',
      );
    const timed = alignTranscript(
      said.map((s) => s.text),
      speech,
    );
    const captions = said.flatMap((s, i) => sentenceCues(s.text, ...timed[i]!));
    const chapters = script.chapters.flatMap((c, chapter) => {
      const at = said.findIndex((s) => s.chapter === chapter);
      return c.title && at >= 0 ? [{ title: c.title, start: timed[at]![0] }] : [];
    });
    return {
      captions,
      record: {
        source: 'transcript',
        script: input.text,
        language: input.language,
        ...(await this.storeTracks(captions, chapterCues(chapters, speech.durationSec))),
        durationSec: speech.durationSec,
      },
    };
  }

  /** Stores the captions and chapters as WebVTT: what a version's record says of them. */
  private async storeTracks(
    captions: readonly Cue[],
    chapters: readonly Cue[],
  ): Promise<Pick<NarrationRecord, 'captions' | 'chapters' | 'chapterList'>> {
    const vtt = await this.put(Buffer.from(webVtt(captions)));
    const chaptersVtt = chapters.length ? await this.put(Buffer.from(webVtt(chapters))) : undefined;
    return {
      captions: vtt.sha256,
      chapters: chaptersVtt?.sha256,
      chapterList: chapters.map((c) => ({ title: c.text, start: Math.round(c.start * 1000) / 1000 })),
    };
  }

  private put(bytes: Buffer): Promise<{ sha256: string; bytes: number }> {
    return this.d.store.ingest(Readable.from([bytes]), { maxBytes: Number.MAX_SAFE_INTEGER });
  }
}
