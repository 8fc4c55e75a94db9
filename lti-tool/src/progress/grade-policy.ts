import type { Score } from '../../../adapters/lms-adapter.js';

/** A score goes to the gradebook when coverage grew by this many points since the last one. */
export const SCORE_STEP_PERCENT = 10;

export interface Standing {
  readonly coverage: number;
  readonly completed: boolean;
  /** Percent of the last score put in the outbox; -1 before the first. */
  readonly scoredPercent: number;
}

/**
 * Whether this change of a learner's standing is worth a score, and which: "Started" at the first
 * heartbeat, "InProgress" every SCORE_STEP_PERCENT points, "Completed" + "FullyGraded" when the
 * completion rule is met (and again if coverage grows after it). Coverage percent of the lesson is
 * the grade, scaled to the line item's maximum.
 */
export function scoreFor(
  before: Standing,
  after: Standing,
  userId: string,
  scoreMaximum: number,
  now: Date,
): Score | undefined {
  const percent = Math.floor(after.coverage * 100);
  const justCompleted = after.completed && !before.completed;
  const first = before.scoredPercent < 0;
  const stepped =
    percent >= before.scoredPercent + SCORE_STEP_PERCENT || (percent === 100 && before.scoredPercent < 100);
  if (!first && !justCompleted && !stepped) return undefined;
  return {
    userId,
    scoreGiven: Math.round(after.coverage * scoreMaximum * 100) / 100,
    scoreMaximum,
    activityProgress: after.completed ? 'Completed' : first ? 'Started' : 'InProgress',
    gradingProgress: after.completed ? 'FullyGraded' : 'Pending',
    timestamp: now.toISOString(),
  };
}
