import { createReadStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Logger } from 'pino';
import type { AnswerClipRenderer } from '../media/media-tools.js';
import type { MediaStore } from '../media/media-store.js';
import type { Narrator } from '../narration/narrator.js';
import { parseScript } from '../narration/script.js';
import { writeWav } from '../narration/wav.js';
import type { AnswerLanguage } from './answer-composer.js';
import type { TutorQuestions } from './tutor-questions.js';

/** A clip being rendered on this instance: its growing file, and whether it is complete. */
export interface LiveClip {
  /** The fragmented MP4 as far as it is written (it may not exist for the first moments). */
  readonly path: string;
  /** Resolves when the file is complete (or the render failed: the file ends where it stopped). */
  readonly ended: Promise<void>;
  readonly isEnded: () => boolean;
}

export interface AnswerClipsDeps {
  readonly renderer: AnswerClipRenderer;
  readonly narrator: Pick<Narrator, 'narrate' | 'voices'>;
  readonly store: MediaStore;
  readonly questions: Pick<TutorQuestions, 'setClip'>;
  /** Where clips are rendered; each in its own folder, removed once stored. */
  readonly workRoot: string;
  readonly maxAudioSeconds: number;
  /**
   * Clips rendered at once; the rest wait their turn. All at once, ten learners' first frames would
   * all come late (each render at a tenth of the CPU); in turn, the first come at once.
   */
  readonly concurrency: number;
  readonly log: Logger;
}

/** Long enough for any answer: an answer is never refused for its length here. */
const ANY_LENGTH = Number.MAX_SAFE_INTEGER;
/** A finished clip stays streamable from its folder this long (a player that asked just before). */
const KEEP_AFTER_STORED_MS = 60_000;

/**
 * Tutor answers spoken by the lesson's presenter: the answer spoken in the lesson's voice (the speech
 * engines, with their sentence cache), then rendered by the preview engine into a fragmented MP4 that
 * the learner's player streams while it renders. Once complete the clip goes into the media store and
 * the question remembers it, so a later look at the answer plays the stored file.
 */
export class AnswerClips {
  private readonly live = new Map<string, LiveClip>();
  private readonly aborts = new Set<AbortController>();
  private readonly turn: LimitFunction;

  constructor(private readonly d: AnswerClipsDeps) {
    this.turn = pLimit(d.concurrency);
  }

  /** Starts the clip of question `id`; the caller does not wait (failures are logged, not thrown). */
  start(
    id: string,
    c: { tenantId: string; portraitPath: string; spoken: string; language: AnswerLanguage; voice?: string },
  ): void {
    const dir = join(this.d.workRoot, id);
    const path = join(dir, this.d.renderer.streamedName);
    const abort = new AbortController();
    this.aborts.add(abort);
    let ended = false;
    const started = performance.now();
    const work = this.turn(async () => {
      abort.signal.throwIfAborted();
      await mkdir(dir, { recursive: true });
      const voice = this.voiceFor(c.language, c.voice);
      const script = parseScript(c.spoken, c.language, ANY_LENGTH);
      const speech = await this.d.narrator.narrate(c.tenantId, script, voice, abort.signal);
      const audioPath = join(dir, 'answer.wav');
      await writeFile(audioPath, writeWav(speech.pcm));
      const clip = await this.d.renderer.render({
        portraitPath: c.portraitPath,
        audioPath,
        workDir: dir,
        signal: abort.signal,
      });
      const stored = await this.d.store.ingest(createReadStream(join(dir, clip.mp4)), {
        maxBytes: 512 * 1024 * 1024,
      });
      await this.d.questions.setClip(id, stored.sha256);
      this.d.log.info(
        {
          event: 'tutor.clip',
          questionId: id,
          durationSec: clip.durationSec,
          firstFrameSec: clip.firstFrameSec,
          totalSec: (performance.now() - started) / 1000,
        },
        'tutor answer clip rendered',
      );
    });
    const done = work
      .catch((e: Error) =>
        this.d.log.warn({ event: 'tutor.clip_failed', questionId: id, err: e.message }, 'tutor clip failed'),
      )
      .finally(() => {
        ended = true;
        this.aborts.delete(abort);
      });
    this.live.set(id, { path, ended: done, isEnded: () => ended });
    void done.then(() =>
      setTimeout(() => {
        this.live.delete(id);
        void rm(dir, { recursive: true, force: true });
      }, KEEP_AFTER_STORED_MS).unref(),
    );
  }

  /** The clip of question `id` while this instance renders it (or just rendered it). */
  liveClip(id: string): LiveClip | undefined {
    return this.live.get(id);
  }

  /** Stops every render in progress (the tool is closing). */
  async close(): Promise<void> {
    for (const a of this.aborts) a.abort();
    await Promise.all([...this.live.values()].map((c) => c.ended));
  }

  /** The lesson's voice when it speaks the answer's language, else the first voice that does. */
  private voiceFor(language: AnswerLanguage, preferred: string | undefined): string {
    const voices = this.d.narrator.voices();
    const fits = voices.filter((v) => v.language === language);
    const chosen = fits.find((v) => v.id === preferred) ?? fits[0];
    if (!chosen) throw new Error(`No voice speaks ${language}.`);
    return chosen.id;
  }
}
