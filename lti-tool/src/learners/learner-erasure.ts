import type { Logger } from 'pino';
import { inTransaction, type Db, type Queryable } from '../db/database.js';

/** A table's owner, able to delete what it holds of one learner, inside the erasure's transaction. */
export interface LearnerDataOwner {
  forgetLearner(c: Queryable, tenantId: string, userId: string): Promise<number>;
}

/** What an erasure deleted, by kind. */
export interface ErasedLearner {
  readonly userId: string;
  readonly deleted: { readonly progress: number; readonly answers: number; readonly tutorQuestions: number };
}

/**
 * Erases what the tool holds of one learner in a tenant (a data-protection request): their watching
 * and scores not yet sent, their answers to lessons' questions, their questions to the tutor. One
 * transaction across the owners, so nothing is left half erased; the gradebook and the LMS keep what
 * they already received (that is the LMS's record).
 */
export class LearnerErasure {
  constructor(
    private readonly d: {
      readonly db: Db;
      readonly progress: LearnerDataOwner;
      readonly answers: LearnerDataOwner;
      readonly tutorQuestions: LearnerDataOwner;
      readonly log: Logger;
    },
  ) {}

  async erase(tenantId: string, userId: string): Promise<ErasedLearner> {
    const deleted = await inTransaction(this.d.db, async (c) => ({
      progress: await this.d.progress.forgetLearner(c, tenantId, userId),
      answers: await this.d.answers.forgetLearner(c, tenantId, userId),
      tutorQuestions: await this.d.tutorQuestions.forgetLearner(c, tenantId, userId),
    }));
    // The learner's id is what was asked to be forgotten: the log line names the tenant and the counts.
    this.d.log.info({ event: 'learner.erased', tenantId, ...deleted }, 'learner data erased');
    return { userId, deleted };
  }
}
