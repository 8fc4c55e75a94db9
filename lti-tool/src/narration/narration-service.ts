import { Readable } from 'node:stream';
import { z } from 'zod';
import type { Asset, AssetRepository } from '../assets/asset-repository.js';
import type { MediaStore } from '../media/media-store.js';
import type { Narrator } from './narrator.js';
import { ScriptLanguageSchema, type ScriptLanguage } from './languages.js';
import { parseScript } from './script.js';
import { durationOf, writeWav } from './wav.js';
import { webVtt, type Cue } from './webvtt.js';

/** What a lesson version keeps of its script (lesson_versions.narration). */
export const NarrationRecordSchema = z.object({
  script: z.string(),
  language: ScriptLanguageSchema,
  voice: z.string(),
  /** sha256 of the captions' WebVTT in the media store. */
  captions: z.string(),
  /** sha256 of the chapters' WebVTT, when the script has headings. */
  chapters: z.string().optional(),
  chapterList: z.array(z.object({ title: z.string(), start: z.number() })),
  durationSec: z.number(),
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
    const n = await this.d.narrator.narrate(tenantId, script, input.voice, signal);
    const put = async (bytes: Buffer): Promise<{ sha256: string; bytes: number }> =>
      this.d.store.ingest(Readable.from([bytes]), { maxBytes: Number.MAX_SAFE_INTEGER });
    const wav = await put(writeWav(n.pcm));
    const audio: Asset = {
      sha256: wav.sha256,
      kind: 'audio',
      contentType: 'audio/wav',
      bytes: wav.bytes,
      originalName: 'narration.wav',
    };
    await this.d.assets.put(tenantId, audio);
    const captions = await put(Buffer.from(webVtt(n.captions)));
    const chapters = n.chapters.length ? await put(Buffer.from(webVtt(n.chapters))) : undefined;
    return {
      audio,
      captions: n.captions,
      sentences: n.sentences,
      synthesized: n.synthesized,
      record: {
        script: input.script,
        language: input.language,
        voice: input.voice,
        captions: captions.sha256,
        chapters: chapters?.sha256,
        chapterList: n.chapters.map((c) => ({ title: c.text, start: Math.round(c.start * 1000) / 1000 })),
        durationSec: durationOf(n.pcm),
      },
    };
  }
}
