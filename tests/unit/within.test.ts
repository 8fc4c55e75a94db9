import { jest } from '@jest/globals';
import { answerWithin, settledWithin, TimedOut } from '../../common/within.js';

/**
 * Bounded waits: a promise that never settles is given up on, one that settles keeps its outcome,
 * and no timer of the wait outlives it (a close that leaves timers keeps Node from exiting).
 */
const never = new Promise<never>(() => {});

/** The timers `fn` started that are still pending when it has finished. */
async function pendingTimersAfter(fn: () => Promise<unknown>): Promise<number> {
  const started: NodeJS.Timeout[] = [];
  const real = globalThis.setTimeout;
  const spy = jest.spyOn(globalThis, 'setTimeout').mockImplementation(((...args: Parameters<typeof real>) => {
    const t = real(...args);
    started.push(t);
    return t;
  }) as typeof real);
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return started.filter((t) => !(t as unknown as { _destroyed: boolean })._destroyed).length;
}

describe('settledWithin', () => {
  it('says whether the work settled in time, either way, and leaves no timer behind', async () => {
    const pending = await pendingTimersAfter(async () => {
      await expect(settledWithin(Promise.resolve('done'), 600_000)).resolves.toBe(true);
      await expect(settledWithin(Promise.reject(new Error('refused')), 600_000)).resolves.toBe(true);
      await expect(settledWithin(never, 1)).resolves.toBe(false);
    });
    expect(pending).toBe(0);
  });
});

describe('answerWithin', () => {
  it("gives the work's own outcome when it settles in time, and clears its timer", async () => {
    const pending = await pendingTimersAfter(async () => {
      await expect(answerWithin(Promise.resolve(42), 600_000, 'the answer')).resolves.toBe(42);
      await expect(answerWithin(Promise.reject(new Error('refused')), 600_000, 'x')).rejects.toThrow(
        'refused',
      );
    });
    expect(pending).toBe(0);
  });

  it('rejects with TimedOut, naming what did not answer', async () => {
    const late = answerWithin(never, 1, 'Redis');
    await expect(late).rejects.toBeInstanceOf(TimedOut);
    await expect(late).rejects.toThrow('Redis did not answer within 1 ms');
  });
});
