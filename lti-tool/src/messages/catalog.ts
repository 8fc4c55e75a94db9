import type { en } from './en.js';

/** A catalog's shape: its keys, and for texts with placeholders the parameters they take. */
type Shape<T> = {
  readonly [K in keyof T]: T[K] extends string
    ? string
    : T[K] extends (...args: infer A) => string
      ? (...args: A) => string
      : Shape<T[K]>;
};

/** Every language's catalog has the English one's keys and placeholders. */
export type Catalog = Shape<typeof en>;
