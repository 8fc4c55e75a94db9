import type { FoundPassage } from './passage-index.js';

export type AnswerLanguage = 'en' | 'zh';

/** A learner's question with the course's passages that cleared the relevance bar, best first. */
export interface ComposeInput {
  readonly question: string;
  readonly language: AnswerLanguage;
  readonly passages: readonly FoundPassage[];
}

/** An answer from the passages, and which of them it cites (every answer cites at least one). */
export interface ComposedAnswer {
  /** What the learner reads; citations are [n], n counting from 1 over `cited`. */
  readonly text: string;
  /** What the presenter says: the answer without citation marks. */
  readonly spoken: string;
  readonly cited: readonly FoundPassage[];
}

/**
 * Writes an answer from passages only. `extractive` (default) quotes them; `llm` asks an
 * OpenAI-compatible model. Undefined: no answer the passages support (the service then says the
 * course does not cover the question).
 */
export interface AnswerComposer {
  readonly name: 'extractive' | 'llm';
  compose(input: ComposeInput, signal?: AbortSignal): Promise<ComposedAnswer | undefined>;
}

/** The text without its citation marks ([1], [2, 3]), as the presenter says it. */
export const withoutCitations = (text: string): string =>
  text
    .replace(/\s*\[\d+(?:\s*,\s*\d+)*\]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
