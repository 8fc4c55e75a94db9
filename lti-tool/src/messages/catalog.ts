import type { en } from './en.js';

/**
 * A catalog's shape with every text made an `R`: a plain text becomes an `R`, a text with placeholders
 * a function of the same parameters answering an `R`.
 */
export type TextsAs<T, R> = {
  readonly [K in keyof T]: T[K] extends string
    ? R
    : T[K] extends (...args: infer A) => string
      ? (...args: A) => R
      : TextsAs<T[K], R>;
};

/** Every language's catalog has the English one's keys and placeholders. */
export type Catalog = TextsAs<typeof en, string>;
