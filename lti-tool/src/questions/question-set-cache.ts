import type { LessonQuestionSet } from './question-set.js';
import type { QuestionRepository } from './question-repository.js';

/**
 * Lessons' question sets for the learners' path, kept a few seconds in memory: every answer needs its
 * lesson's set, and reading, validating and keying it costs more than the answer. One load per
 * lesson at a time; a save through this instance drops its entry at once, another instance's save
 * shows within `ttlMs` (an answer checked against the set of a moment ago is checked all the same:
 * a question that changed has another key, and its answer is refused as for no such question).
 */
export class QuestionSetCache {
  private readonly cache = new Map<
    string,
    { value: Promise<LessonQuestionSet | undefined>; until: number }
  >();

  constructor(
    private readonly questions: Pick<QuestionRepository, 'get'>,
    private readonly ttlMs = 5_000,
    /** The clock (tests move their own). */
    private readonly now: () => number = Date.now,
  ) {}

  get(tenantId: string, lessonId: string): Promise<LessonQuestionSet | undefined> {
    const key = `${tenantId} ${lessonId}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > this.now()) return hit.value;
    if (this.cache.size > 10_000) this.cache.clear();
    const entry = { value: this.questions.get(tenantId, lessonId), until: this.now() + this.ttlMs };
    this.cache.set(key, entry);
    // A failed load is not kept: the next answer tries again.
    entry.value.catch(() => this.cache.get(key) === entry && this.cache.delete(key));
    return entry.value;
  }

  /** The lesson's set changed (its author saved it, or a version was published): read it afresh. */
  forget(tenantId: string, lessonId: string): void {
    this.cache.delete(`${tenantId} ${lessonId}`);
  }
}
