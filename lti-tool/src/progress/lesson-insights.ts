import type { Db } from '../db/database.js';
import type { AnswerRepository } from '../questions/answer-repository.js';
import type { QuestionRepository } from '../questions/question-repository.js';
import {
  learnerResults,
  questionStats,
  type LearnerResult,
  type QuestionStats,
} from '../questions/question-stats.js';
import type { Engagement, ProgressRepository } from './progress-repository.js';

/** One lesson seen from its dashboard: its audience second by second, and how its questions went. */
export interface LessonInsights {
  readonly engagement: Engagement;
  readonly questions?: {
    readonly stats: readonly QuestionStats[];
    /** Each learner's result per question key. */
    readonly results: ReadonlyMap<string, ReadonlyMap<string, LearnerResult>>;
  };
}

export interface LessonInsightsDeps {
  readonly db: Db;
  readonly progress: Pick<ProgressRepository, 'engagement'>;
  readonly questions: Pick<QuestionRepository, 'get'>;
  readonly answers: Pick<AnswerRepository, 'ofLesson'>;
}

/**
 * What the dashboard shows of one lesson beyond its learners' rows. The caller has checked that the
 * lesson is in its tenant (and course): reads here are scoped by tenant, and by course for watching.
 */
export class LessonInsightsService {
  constructor(private readonly d: LessonInsightsDeps) {}

  async of(tenantId: string, contextId: string | undefined, lessonId: string): Promise<LessonInsights> {
    const [engagement, set] = await Promise.all([
      this.d.progress.engagement(tenantId, contextId, lessonId),
      this.d.questions.get(tenantId, lessonId),
    ]);
    if (!set?.questions.length) return { engagement };
    const answers = await this.d.answers.ofLesson(this.d.db, tenantId, lessonId);
    return {
      engagement,
      questions: { stats: questionStats(set, answers), results: learnerResults(answers) },
    };
  }
}
