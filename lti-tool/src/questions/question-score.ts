import { keyOf, type LessonQuestion, type QuestionSet } from './question-set.js';

/** One stored answer of a learner, as the score needs it. */
export interface GivenAnswer {
  readonly key: string;
  readonly attempt: number;
  readonly points: number;
  readonly correct: boolean;
}

export interface QuestionStanding {
  /** Points earned under the set's attempts rule, of `total`. */
  readonly earned: number;
  readonly total: number;
  /** earned / total; 1 for a set worth no points. */
  readonly score: number;
  /** Keys of the questions the learner is done with: answered right, or out of attempts. */
  readonly done: readonly string[];
}

/**
 * A learner's standing on a lesson's current questions. Answers to questions no longer in the set
 * (changed or removed by a new version) count for nothing; those to unchanged questions still count.
 */
export function questionStanding(
  set: Pick<QuestionSet, 'attempts'> & { readonly questions: readonly LessonQuestion[] },
  answers: readonly GivenAnswer[],
): QuestionStanding {
  let earned = 0;
  let total = 0;
  const done: string[] = [];
  for (const q of set.questions) {
    const key = keyOf(q);
    total += q.points;
    const mine = answers.filter((a) => a.key === key).sort((a, b) => a.attempt - b.attempt);
    if (!mine.length) continue;
    earned += set.attempts.counts === 'last' ? mine.at(-1)!.points : Math.max(...mine.map((a) => a.points));
    if (mine.some((a) => a.correct) || mine.length >= set.attempts.max) done.push(key);
  }
  return { earned, total, score: total > 0 ? earned / total : 1, done };
}
