/**
 * How alike two questions are: the share of their words (lexemes, as the search stores them) they
 * have in common (Jaccard). "How do I reset my password?" and "reset password how" are the same
 * question; word order and stop words do not count.
 */
export function similarity(a: readonly string[], b: readonly string[]): number {
  const x = new Set(a);
  const y = new Set(b);
  if (!x.size || !y.size) return 0;
  let shared = 0;
  for (const w of x) if (y.has(w)) shared++;
  return shared / (x.size + y.size - shared);
}

/** At least this alike, two questions are one in the instructor's list and a pin answers both. */
export const SAME_QUESTION = 0.6;

/** Items grouped by their question's words: each group led by its first item (the newest, given newest first). */
export function groupSimilar<T extends { readonly terms: readonly string[] }>(items: readonly T[]): T[][] {
  const groups: T[][] = [];
  for (const item of items) {
    const group = groups.find((g) => similarity(g[0]!.terms, item.terms) >= SAME_QUESTION);
    if (group) group.push(item);
    else groups.push([item]);
  }
  return groups;
}
