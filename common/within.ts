/**
 * Bounded waits. Redis or a peer that is away can leave a promise pending forever; a close, a probe
 * or an answer must not wait with it. Both helpers clear their timer, so nothing they start outlives
 * the wait, and neither cancels the work: it goes on (or is cut by the caller) after the wait.
 */

/** Waits for `work` to settle, at most `ms`: true if it did (either way), false if the time ran out. */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Rejects `answerWithin` when the time ran out; `what` says what did not answer. */
export class TimedOut extends Error {
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = 'TimedOut';
  }
}

/** `work`'s own outcome if it settles within `ms`, else a rejection with `TimedOut`. */
export async function answerWithin<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new TimedOut(what, ms)), ms)),
  );
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
