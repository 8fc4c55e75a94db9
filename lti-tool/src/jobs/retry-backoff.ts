/**
 * Exponential backoff for outbox deliveries (BullMQ's custom strategy): doubling from `firstMs` up to
 * `maxMs`, with ±20 % jitter so that jobs failed together do not all come back together.
 */
export const retryBackoff =
  (firstMs: number, maxMs: number) =>
  (attemptsMade: number): number =>
    Math.min(maxMs, firstMs * 2 ** Math.max(0, attemptsMade - 1)) * (0.8 + 0.4 * Math.random());
