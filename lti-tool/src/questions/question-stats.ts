import { normaliseAnswer } from './answer-normalisation.js';
import type { Answer } from './answer-check.js';
import type { LessonAnswer } from './answer-repository.js';
import { questionKey, type Question, type QuestionSet } from './question-set.js';

/** How a lesson's learners did on one question, for its instructor. */
export interface QuestionStats {
  readonly key: string;
  readonly prompt: string;
  readonly at: number;
  /** Learners who answered it at least once. */
  readonly learners: number;
  /** Of those, the share right at their first answer, and right in the end (any attempt). */
  readonly rightFirstTime: number;
  readonly rightInTheEnd: number;
  /** The wrong answer given most often (a choice's text, "True"/"False", or the typed words), and how often. */
  readonly commonWrong?: { readonly answer: string; readonly count: number };
  /** The median time from the question shown to its first answer, in seconds. */
  readonly medianSeconds?: number;
}

/** One learner's result on one question: right or wrong, after how many attempts. */
export interface LearnerResult {
  readonly correct: boolean;
  readonly attempts: number;
}

/** Per-question statistics of the lesson's current questions (answers to changed ones are left out). */
export function questionStats(set: QuestionSet, answers: readonly LessonAnswer[]): QuestionStats[] {
  return set.questions.map((q) => {
    const key = questionKey(q);
    const mine = answers.filter((a) => a.key === key);
    const byLearner = groupBy(mine, (a) => a.userId);
    const learners = byLearner.size;
    const firsts = [...byLearner.values()].map((as) => as.reduce((a, b) => (b.attempt < a.attempt ? b : a)));
    const wrong = new Map<string, number>();
    for (const a of mine)
      if (!a.correct) for (const said of wrongParts(q, a.answer)) wrong.set(said, (wrong.get(said) ?? 0) + 1);
    const [commonWrong] = [...wrong].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const seconds = firsts
      .map((a) => a.secondsToAnswer)
      .filter((s): s is number => s !== undefined)
      .sort((a, b) => a - b);
    return {
      key,
      prompt: q.prompt,
      at: q.at,
      learners,
      rightFirstTime: learners ? firsts.filter((a) => a.correct).length / learners : 0,
      rightInTheEnd: learners
        ? [...byLearner.values()].filter((as) => as.some((a) => a.correct)).length / learners
        : 0,
      ...(commonWrong && { commonWrong: { answer: commonWrong[0], count: commonWrong[1] } }),
      ...(seconds.length && { medianSeconds: median(seconds) }),
    };
  });
}

/** Each learner's result per question key (`userId` → key → result). */
export function learnerResults(answers: readonly LessonAnswer[]): Map<string, Map<string, LearnerResult>> {
  const out = new Map<string, Map<string, LearnerResult>>();
  for (const a of answers) {
    const mine = out.get(a.userId) ?? new Map<string, LearnerResult>();
    const before = mine.get(a.key);
    mine.set(a.key, {
      correct: (before?.correct ?? false) || a.correct,
      attempts: (before?.attempts ?? 0) + 1,
    });
    out.set(a.userId, mine);
  }
  return out;
}

/** What a wrong answer said, in words an instructor reads: the wrong choices picked, or the text. */
function wrongParts(q: Question, a: Answer): string[] {
  switch (q.kind) {
    case 'single':
    case 'multiple': {
      const picked = 'choice' in a ? [a.choice] : 'choices' in a ? a.choices : [];
      const wrongPicks = q.choices.filter((c) => picked.includes(c.id) && !c.correct).map((c) => c.text);
      // A multiple choice missing a right one, with no wrong pick: say which right ones were missed.
      return wrongPicks.length
        ? wrongPicks
        : [
            q.choices
              .filter((c) => picked.includes(c.id))
              .map((c) => c.text)
              .join(' + ') || '—',
          ];
    }
    case 'truefalse':
      return 'value' in a ? [a.value ? 'True / 正确' : 'False / 错误'] : [];
    case 'text':
      return 'text' in a ? [normaliseAnswer(a.text) || '—'] : [];
  }
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) {
    const group = m.get(key(i));
    if (group) group.push(i);
    else m.set(key(i), [i]);
  }
  return m;
}

const median = (sorted: readonly number[]): number => {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
