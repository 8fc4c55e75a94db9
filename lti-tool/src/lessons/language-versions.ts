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

const timelineOf = (r: Render): Timeline => ({
  durationSec: r.result?.durationSec ?? r.narration?.durationSec ?? 0,
  chapterStarts: r.narration?.chapterList.map((c) => c.start) ?? [],
});

/** What the player offers of a lesson: its published version first, then its language versions. */
export class LanguageVersions {
  constructor(
    private readonly d: { languages: LessonLanguages; renders: RenderRepository; urls: MediaUrls },
  ) {}

  async of(published: Render): Promise<LanguageVersion[]> {
    const lesson = timelineOf(published);
    const versions: LanguageVersion[] = [
      {
        language: published.narration?.language,
        renderId: published.id,
        media: this.d.urls.playerBase(published.id),
        narration: published.narration ?? undefined,
        timeMap: timeMap(lesson, lesson),
      },
    ];
    for (const l of await this.d.languages.list(published.lessonId)) {
      // A version in the published one's own language is superseded by it (its language changed).
      if (l.language === published.narration?.language) continue;
      const render = await this.d.renders.get(l.renderId, published.tenantId);
      if (render?.state !== 'done' || !render.narration) continue;
      versions.push({
        language: render.narration.language,
        renderId: render.id,
        media: this.d.urls.playerBase(render.id),
        narration: render.narration,
        timeMap: timeMap(timelineOf(render), lesson),
      });
    }
    return versions;
  }
}
