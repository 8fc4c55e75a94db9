import type { Score } from '../../../adapters/lms-adapter.js';

/** A score goes to the gradebook when the grade grew by this many points since the last one. */
export const SCORE_STEP_PERCENT = 10;

export interface Standing {
  /** The grade as a share of the line item's maximum: 0 … 1 (see `gradeOf`). */
  readonly grade: number;
  readonly completed: boolean;
  /** Percent of the last score put in the outbox; -1 before the first. */
  readonly scoredPercent: number;
}

/** How a lesson with questions weighs them: `watchingWeight` of the grade from watching, the rest from them. */
export interface QuestionRule {
  readonly watchingWeight: number;
  /** The share of the questions' points needed, beside the watching threshold, to complete. */
  readonly passThreshold: number;
}

/**
 * The grade of a learner who watched `coverage` of the lesson and earned `questionScore` of its
 * questions' points: coverage alone for a lesson without questions, else the weighted mean. Both
 * shares are 0 … 1, so the grade is too, and it never falls when either grows.
 */
export function gradeOf(coverage: number, rule?: QuestionRule, questionScore = 0): number {
  if (!rule) return clamp(coverage);
  return clamp(rule.watchingWeight * clamp(coverage) + (1 - rule.watchingWeight) * clamp(questionScore));
}

/** Completion: the watching threshold, and for a lesson with questions the pass threshold too. */
export function isComplete(
  coverage: number,
  completionThreshold: number,
  rule?: QuestionRule,
  questionScore = 0,
): boolean {
  return coverage >= completionThreshold && (!rule || questionScore >= rule.passThreshold);
}

const clamp = (x: number): number => Math.min(1, Math.max(0, Number.isFinite(x) ? x : 0));

/**
 * Whether this change of a learner's standing is worth a score, and which: "Started" at the first
 * heartbeat, "InProgress" every SCORE_STEP_PERCENT points, "Completed" + "FullyGraded" when the
 * completion rule is met (and again if the grade grows after it); `always` for a change the learner
 * made on purpose (an answer). The grade is scaled to the line item's maximum; `comment` says how it
 * was made up.
 */
export function scoreFor(
  before: Standing,
  after: Standing,
  userId: string,
  scoreMaximum: number,
  now: Date,
  o: { always?: boolean; comment?: string } = {},
): Score | undefined {
  const percent = Math.floor(after.grade * 100);
  const justCompleted = after.completed && !before.completed;
  const first = before.scoredPercent < 0;
  const stepped =
    percent >= before.scoredPercent + SCORE_STEP_PERCENT || (percent === 100 && before.scoredPercent < 100);
  if (!o.always && !first && !justCompleted && !stepped) return undefined;
  return {
    userId,
    scoreGiven: Math.round(after.grade * scoreMaximum * 100) / 100,
    scoreMaximum,
    activityProgress: after.completed ? 'Completed' : first ? 'Started' : 'InProgress',
    gradingProgress: after.completed ? 'FullyGraded' : 'Pending',
    timestamp: now.toISOString(),
    ...(o.comment && { comment: o.comment }),
  };
}

/** The score's comment for a lesson with questions: what the grade is made of, in both languages. */
export function gradeComment(coverage: number, earned: number, total: number): string {
  const watched = Math.floor(clamp(coverage) * 100);
  return `Watched ${watched} % · questions ${earned}/${total} points / 观看 ${watched} % · 答题 ${earned}/${total} 分`;
}
