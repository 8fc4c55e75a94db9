import type { PoolClient } from 'pg';
import { inTransaction, type Db } from './database.js';

export interface GroupCommitOptions {
  /** How long an item waits for others to share its transaction. */
  readonly flushMs: number;
  readonly maxBatch: number;
  /** Transactions under way at once: a batch does not wait for the one before to commit. */
  readonly maxInFlight: number;
}

/** What a batch's transaction decided: an outcome per item (an Error refuses that item only), and what to do once committed. */
export interface BatchResult<Out> {
  readonly outcomes: readonly (Out | Error)[];
  readonly committed?: () => void;
}

interface Waiting<In, Out> {
  readonly item: In;
  readonly resolve: (o: Out) => void;
  readonly reject: (e: Error) => void;
}

/**
 * Group commit: items arriving within `flushMs` share one transaction (`write`), whatever their
 * number, which is what lets one instance take thousands a second; each is answered only once its
 * transaction committed. A transaction that fails refuses its whole batch; the next batch runs on.
 * The heartbeats' and the answers' ingests are its two users.
 */
export abstract class GroupCommit<In, Out> {
  private waiting: Waiting<In, Out>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;

  constructor(
    private readonly db: Db,
    private readonly commit: GroupCommitOptions,
  ) {}

  submit(item: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** The batch's work, inside its transaction. */
  protected abstract write(c: PoolClient, batch: readonly In[]): Promise<BatchResult<Out>>;

  private schedule(): void {
    if (this.inFlight >= this.commit.maxInFlight || this.timer) return;
    const now = this.waiting.length >= this.commit.maxBatch;
    this.timer = setTimeout(() => void this.flush(), now ? 0 : this.commit.flushMs);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    this.inFlight++;
    const batch = this.waiting.splice(0, this.commit.maxBatch);
    if (this.waiting.length) this.schedule();
    try {
      const { outcomes, committed } = await inTransaction(this.db, (c) =>
        this.write(
          c,
          batch.map((w) => w.item),
        ),
      );
      batch.forEach((w, i) => {
        const o = outcomes[i]!;
        if (o instanceof Error) w.reject(o);
        else w.resolve(o);
      });
      committed?.();
    } catch (e) {
      for (const w of batch) w.reject(e as Error);
    } finally {
      this.inFlight--;
      if (this.waiting.length) this.schedule();
    }
  }
}
