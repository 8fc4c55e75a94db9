/**
 * How a language version's time corresponds to the lesson's own (its published version's): anchor
 * pairs [versionSec, lessonSec] from 0 to both ends, increasing in both; times between anchors are
 * interpolated. Progress is kept on the lesson's timeline, so a learner who switches language, or
 * watches all of a dub, covers the same lesson.
 */
export type TimeMap = readonly (readonly [number, number])[];

export interface Timeline {
  readonly durationSec: number;
  /** Where each chapter starts; translated scripts keep the original's headings. */
  readonly chapterStarts: readonly number[];
}

/**
 * Chapters anchor the map when both versions have as many, in the same order (a translation keeps
 * the structure); otherwise the versions are taken to run in proportion.
 */
export function timeMap(version: Timeline, lesson: Timeline): TimeMap {
  const anchors: [number, number][] = [[0, 0]];
  if (version.chapterStarts.length === lesson.chapterStarts.length)
    version.chapterStarts.forEach((v, i) => {
      const l = lesson.chapterStarts[i]!;
      const [pv, pl] = anchors[anchors.length - 1]!;
      if (v > pv && l > pl && v < version.durationSec && l < lesson.durationSec) anchors.push([v, l]);
    });
  anchors.push([version.durationSec, lesson.durationSec]);
  return anchors.map(([v, l]) => [round(v), round(l)] as const);
}

const round = (sec: number): number => Math.round(sec * 1000) / 1000;

/** A version's time on the lesson's timeline: interpolated between the map's anchors. */
export function onLesson(map: TimeMap, versionSec: number): number {
  for (let i = 1; i < map.length; i++) {
    const [av, al] = map[i - 1]!;
    const [bv, bl] = map[i]!;
    if (versionSec <= bv || i === map.length - 1) {
      const share = bv > av ? Math.min(1, Math.max(0, (versionSec - av) / (bv - av))) : 0;
      return al + share * (bl - al);
    }
  }
  return versionSec;
}
