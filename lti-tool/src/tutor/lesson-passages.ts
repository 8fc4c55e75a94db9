import type { NarrationRecord } from '../narration/narration-service.js';
import { parseScript, sentencesIn } from '../narration/script.js';
import type { Question } from '../questions/question-set.js';

/** One searchable piece of what a lesson says, and where a learner finds it. */
export interface Passage {
  readonly kind: 'title' | 'description' | 'script' | 'feedback';
  readonly text: string;
  readonly chapter?: string;
  /** Where in the lesson's video it is spoken, seconds (none for a title or a question's feedback). */
  readonly startSec?: number;
}

/** A version's script or transcript, and how its time maps onto the lesson's (the published version's). */
export interface VersionText {
  readonly narration: NarrationRecord;
  /** Identity for the published version; a language version's time map otherwise. */
  readonly toLesson: (versionSec: number) => number;
}

/** What a lesson says, as its published version and its language versions hold it. */
export interface LessonText {
  readonly title: string;
  /** What the LMS shows learners about the lesson (the studio's "Description for learners"). */
  readonly description: string;
  readonly versions: readonly VersionText[];
  readonly questions: readonly Question[];
}

/** A paragraph longer than this many sentences is cut into passages of this many. */
const SENTENCES_PER_PASSAGE = 4;
/** Long enough for any paragraph's script: parsing again must never refuse a stored script. */
const ANY_LENGTH = Number.MAX_SAFE_INTEGER;

/**
 * A lesson as passages: its title and description; each paragraph of each version's script (the published one's and
 * each language version's) under its chapter, timed where the voice says it on the lesson's timeline
 * (a version's `parts` are where each heading and paragraph starts); each question's prompt with its
 * feedback (what the author explains after an answer).
 */
export function lessonPassages(lesson: LessonText): Passage[] {
  const passages: Passage[] = [{ kind: 'title', text: lesson.title }];
  if (lesson.description.trim()) passages.push({ kind: 'description', text: lesson.description.trim() });
  for (const { narration: n, toLesson } of lesson.versions) {
    const script = parseScript(n.script, n.language, ANY_LENGTH);
    // Parts in the narrator's order: a titled heading, then each paragraph.
    const groups: { chapter?: string; heading: boolean; sentences: string[] }[] = [];
    let key = '';
    for (const s of sentencesIn(script)) {
      const k = `${s.chapter}/${s.paragraph}`;
      if (k !== key)
        groups.push({
          chapter: script.chapters[s.chapter]?.title,
          heading: s.paragraph === -1,
          sentences: [],
        });
      key = k;
      groups.at(-1)!.sentences.push(s.text);
    }
    groups.forEach((g, part) => {
      if (g.heading) return;
      const at = n.parts?.[part];
      const startSec = at === undefined ? undefined : Math.round(toLesson(at) * 1000) / 1000;
      for (let i = 0; i < g.sentences.length; i += SENTENCES_PER_PASSAGE)
        passages.push({
          kind: 'script',
          chapter: g.chapter,
          startSec,
          text: g.sentences.slice(i, i + SENTENCES_PER_PASSAGE).join(n.language === 'zh' ? '' : ' '),
        });
    });
  }
  for (const q of lesson.questions) {
    const said = [q.feedback.correct, q.feedback.incorrect];
    if ('choices' in q) said.push(...q.choices.map((c) => c.feedback));
    const feedback = [...new Set(said.filter((f): f is string => !!f))];
    if (feedback.length) passages.push({ kind: 'feedback', text: [q.prompt, ...feedback].join(' ') });
  }
  return passages;
}
