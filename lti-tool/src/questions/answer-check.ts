import { z } from 'zod';
import { matchesAccepted } from './answer-normalisation.js';
import type { Question } from './question-set.js';

/** What a learner answers, by the question's kind. */
export const AnswerSchema = z.union([
  z.object({ choice: z.string().max(40) }),
  z.object({ choices: z.array(z.string().max(40)).max(10) }),
  z.object({ value: z.boolean() }),
  z.object({ text: z.string().max(500) }),
]);
export type Answer = z.infer<typeof AnswerSchema>;

export interface Checked {
  readonly correct: boolean;
  /** The question's points when right, else 0 (a multiple choice is right only when exactly right). */
  readonly points: number;
  readonly feedback?: string;
}

/** Whether `answer` fits the question's kind at all (a choice it has, a text for a text question). */
export function answerFits(q: Question, a: Answer): boolean {
  switch (q.kind) {
    case 'single':
      return 'choice' in a && q.choices.some((c) => c.id === a.choice);
    case 'multiple':
      return (
        'choices' in a &&
        new Set(a.choices).size === a.choices.length &&
        a.choices.every((id) => q.choices.some((c) => c.id === id))
      );
    case 'truefalse':
      return 'value' in a;
    case 'text':
      return 'text' in a;
  }
}

/** Checks an answer that fits its question (see `answerFits`), on the server only. */
export function checkAnswer(q: Question, a: Answer): Checked {
  let correct: boolean;
  let chosenFeedback: string | undefined;
  switch (q.kind) {
    case 'single': {
      const chosen = q.choices.find((c) => 'choice' in a && c.id === a.choice);
      correct = chosen?.correct ?? false;
      chosenFeedback = chosen?.feedback;
      break;
    }
    case 'multiple': {
      const picked = new Set('choices' in a ? a.choices : []);
      correct = q.choices.every((c) => c.correct === picked.has(c.id));
      // One wrong pick's feedback says the most; else the first pick's.
      const wrong = q.choices.find((c) => picked.has(c.id) && !c.correct && c.feedback);
      chosenFeedback = (wrong ?? q.choices.find((c) => picked.has(c.id) && c.feedback))?.feedback;
      break;
    }
    case 'truefalse':
      correct = 'value' in a && a.value === q.answer;
      break;
    case 'text':
      correct = 'text' in a && matchesAccepted(a.text, q.accepted);
      break;
  }
  return {
    correct,
    points: correct ? q.points : 0,
    feedback: chosenFeedback ?? (correct ? q.feedback.correct : q.feedback.incorrect),
  };
}
