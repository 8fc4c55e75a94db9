import type { MediaUrls } from '../media/media-urls.js';
import type { ScriptLanguage } from '../narration/languages.js';
import type { NarrationRecord } from '../narration/narration-service.js';
import type { Render, RenderRepository } from '../renders/render-repository.js';
import type { LessonLanguages } from './lesson-languages.js';
import { timeMap, type Timeline, type TimeMap } from './time-map.js';

/** One language a learner may watch the lesson in: its render's files, captions, and time map. */
export interface LanguageVersion {
  /** Undefined for a published version recorded (not spoken from a script): its language is unstated. */
  readonly language?: ScriptLanguage;
  readonly renderId: string;
  /** Signed folder URL of the render's files. */
  readonly media: string;
  readonly narration?: NarrationRecord;
  /** Onto the published version's timeline, where progress is kept. */
  readonly timeMap: TimeMap;
}

/** A version as its time map needs it: how long its video runs, and its narration (chapters, language). */
export interface TimedVersion {
  readonly durationSec?: number;
  readonly narration: NarrationRecord | null;
}

const timelineOf = (v: TimedVersion): Timeline => ({
  durationSec: v.durationSec ?? v.narration?.durationSec ?? 0,
  chapterStarts: v.narration?.chapterList.map((c) => c.start) ?? [],
});

/**
 * The versions of a lesson on its own timeline (the published version's): the published one, then
 * each language version that has a narration, unless it is in the published one's language (that one
 * supersedes it, as when the published version's language changed).
 */
export function onLessonTimeline<V extends TimedVersion>(
  published: V,
  languages: readonly V[],
): Array<V & { readonly timeMap: TimeMap }> {
  const lesson = timelineOf(published);
  const versions = [{ ...published, timeMap: timeMap(lesson, lesson) }];
  for (const v of languages) {
    if (!v.narration || v.narration.language === published.narration?.language) continue;
    versions.push({ ...v, timeMap: timeMap(timelineOf(v), lesson) });
  }
  return versions;
}

const timed = (render: Render) => ({
  render,
  durationSec: render.result?.durationSec,
  narration: render.narration,
});

/** What the player offers of a lesson: its published version first, then its language versions. */
export class LanguageVersions {
  constructor(
    private readonly d: { languages: LessonLanguages; renders: RenderRepository; urls: MediaUrls },
  ) {}

  async of(published: Render): Promise<LanguageVersion[]> {
    const languages: Render[] = [];
    for (const l of await this.d.languages.list(published.lessonId)) {
      const render = await this.d.renders.get(l.renderId, published.tenantId);
      if (render?.state === 'done') languages.push(render);
    }
    return onLessonTimeline(timed(published), languages.map(timed)).map(({ render, narration, timeMap }) => ({
      language: narration?.language,
      renderId: render.id,
      media: this.d.urls.playerBase(render.id),
      narration: narration ?? undefined,
      timeMap,
    }));
  }
}
