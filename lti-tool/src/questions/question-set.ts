import { createHash } from 'node:crypto';
import { z } from 'zod';

const text = (max: number) => z.string().trim().min(1).max(max);
const feedback = z.string().trim().max(1000).optional();

const ChoiceSchema = z.object({
  /** Stable within its question: answers name it. */
  id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/),
  text: text(500),
  correct: z.boolean(),
  /** Shown after a learner chose it. */
  feedback,
});

const common = {
  /** Where the player stops for it, in seconds of the lesson's timeline (0 … the lesson's length). */
  at: z
    .number()
    .min(0)
    .max(24 * 3600),
  prompt: text(1000),
  points: z.number().int().min(0).max(100).default(1),
  /** A required question must be answered to go on, and cannot be skipped by seeking past it. */
  required: z.boolean().default(true),
  /** Shown after a right or a wrong answer (a choice's own feedback comes first). */
  feedback: z.object({ correct: feedback, incorrect: feedback }).default({}),
};

const distinctIds = (choices: readonly { id: string }[]) =>
  new Set(choices.map((c) => c.id)).size === choices.length;

export const QuestionSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('single'),
    ...common,
    choices: z
      .array(ChoiceSchema)
      .min(2)
      .max(10)
      .refine(distinctIds, 'Choice ids must differ.')
      .refine(
        (cs) => cs.filter((c) => c.correct).length === 1,
        'A single-choice question has one right choice.',
      ),
  }),
  z.object({
    kind: z.literal('multiple'),
    ...common,
    choices: z
      .array(ChoiceSchema)
      .min(2)
      .max(10)
      .refine(distinctIds, 'Choice ids must differ.')
      .refine((cs) => cs.some((c) => c.correct), 'A multiple-choice question has at least one right choice.'),
  }),
  z.object({ kind: z.literal('truefalse'), ...common, answer: z.boolean() }),
  z.object({
    kind: z.literal('text'),
    ...common,
    /** Every spelling that counts as right; compared as `normaliseAnswer` says. */
    accepted: z.array(text(200)).min(1).max(20),
  }),
]);
export type Question = z.infer<typeof QuestionSchema>;

/** How a lesson's questions are graded until its author says otherwise. */
export const DEFAULT_WATCHING_WEIGHT = 0.3;
export const DEFAULT_PASS_THRESHOLD = 0.6;

/** A lesson's questions and how they are graded, as the author sets them. */
export const QuestionSetSchema = z
  .object({
    questions: z.array(QuestionSchema).max(50),
    attempts: z
      .object({
        /** Answers a learner may give to each question. */
        max: z.number().int().min(1).max(10).default(1),
        /** Which of them counts: the best or the last. */
        counts: z.enum(['best', 'last']).default('best'),
      })
      .default({ max: 1, counts: 'best' }),
    /** The grade: this share from watching, the rest from the questions' points. */
    watchingWeight: z.number().min(0).max(1).default(DEFAULT_WATCHING_WEIGHT),
    /** The share of the questions' points a learner needs (with the watching threshold) to complete. */
    passThreshold: z.number().min(0).max(1).default(DEFAULT_PASS_THRESHOLD),
  })
  .refine((s) => new Set(s.questions.map(questionKey)).size === s.questions.length, {
    message: 'Two questions ask the same thing with the same answers.',
    path: ['questions'],
  });
export type QuestionSet = z.infer<typeof QuestionSetSchema>;
export type QuestionSetInput = z.input<typeof QuestionSetSchema>;

/**
 * A question's key: a digest of what a learner is asked and what counts as right. Answers are kept
 * under it, so a new version of the lesson keeps the answers to the questions that did not change
 * (moving a question in time, or rewording its feedback, changes nothing a learner answered).
 */
export function questionKey(q: Question): string {
  const asked = {
    kind: q.kind,
    prompt: q.prompt,
    points: q.points,
    ...(q.kind === 'single' || q.kind === 'multiple'
      ? { choices: q.choices.map((c) => [c.id, c.text, c.correct]) }
      : q.kind === 'truefalse'
        ? { answer: q.answer }
        : { accepted: q.accepted }),
  };
  return createHash('sha256').update(JSON.stringify(asked)).digest('base64url').slice(0, 16);
}

/** What a language version's script says of a question: the same question, in its words. */
export type Translation = Question extends infer Q ? (Q extends unknown ? Omit<Q, 'at'> : never) : never;

/** A question of a lesson as learners meet it: with its words in the lesson's other languages. */
export type LessonQuestion = Question & {
  readonly translations?: Readonly<Record<string, Translation>>;
  /** `questionKey` of it, computed once where the set was loaded. */
  readonly key?: string;
};

/** A question's key: kept with it where the set was loaded, else computed. */
export const keyOf = (q: LessonQuestion): string => q.key ?? questionKey(q);

/** The lesson's questions as learners meet them: the author's, then its published script's. */
export type LessonQuestionSet = Omit<QuestionSet, 'questions'> & { questions: LessonQuestion[] };

/** The question in `language` when a language version words it, else as written. */
export function inLanguage(q: LessonQuestion, language?: string): Question {
  const t = language ? q.translations?.[language] : undefined;
  return t ? ({ ...t, at: q.at } as Question) : q;
}

/** A question as the learner's player gets it: nothing that tells the right answer or its feedback. */
export interface AskedQuestion {
  readonly key: string;
  readonly at: number;
  readonly kind: Question['kind'];
  readonly prompt: string;
  readonly points: number;
  readonly required: boolean;
  readonly choices?: readonly { readonly id: string; readonly text: string }[];
}

export function askedOf(q: LessonQuestion, language?: string): AskedQuestion {
  const shown = inLanguage(q, language);
  return {
    key: keyOf(q),
    at: q.at,
    kind: q.kind,
    prompt: shown.prompt,
    points: q.points,
    required: q.required,
    ...((shown.kind === 'single' || shown.kind === 'multiple') && {
      choices: shown.choices.map((c) => ({ id: c.id, text: c.text })),
    }),
  };
}

/** The questions in the order the player meets them. */
export function ordered<S extends { questions: readonly { at: number }[] }>(set: S): S {
  return { ...set, questions: [...set.questions].sort((a, b) => a.at - b.at) };
}
