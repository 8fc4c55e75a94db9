import type { Logger } from 'pino';
import type { LtiSession } from '../lti/lti-sessions.js';
import type { LessonRepository } from '../lessons/lesson-repository.js';
import { ApiError } from '../web/api-error.js';
import { groupSimilar } from './question-similarity.js';
import type { TutorPin, TutorPins } from './tutor-pins.js';
import type { TutorQuestion, TutorQuestions } from './tutor-questions.js';

/** One question as learners asked it, however many times and words. */
export interface QuestionGroup {
  /** The newest wording, and how many asked. */
  readonly lead: TutorQuestion;
  readonly count: number;
  readonly helpful: number;
  readonly notHelpful: number;
}

export interface LessonTutorReview {
  readonly enabled: boolean;
  /** What the course does not cover: what it should explain better. */
  readonly notCovered: readonly QuestionGroup[];
  readonly answered: readonly QuestionGroup[];
  readonly pins: readonly TutorPin[];
}

/** Questions read for the review, newest first. */
const REVIEWED = 500;

/**
 * The instructor's side of a lesson's tutor: what learners asked (grouped when similar), what they
 * were answered and how they rated it, and the instructor's levers: pin an edited answer, turn the
 * tutor off for the lesson.
 */
export class TutorReview {
  constructor(
    private readonly d: {
      readonly questions: Pick<TutorQuestions, 'ofLesson' | 'get'>;
      readonly pins: Pick<TutorPins, 'ofLesson' | 'pin' | 'unpin'>;
      readonly lessons: Pick<LessonRepository, 'tutorOf' | 'setTutorEnabled'>;
      readonly log: Logger;
    },
  ) {}

  async of(session: LtiSession, lessonId: string): Promise<LessonTutorReview> {
    const lesson = await this.lessonOf(session, lessonId);
    const [asked, pins] = await Promise.all([
      this.d.questions.ofLesson(session.tenantId, lessonId, REVIEWED),
      this.d.pins.ofLesson(session.tenantId, lessonId),
    ]);
    const groups = groupSimilar(asked).map((g): QuestionGroup => ({
      lead: g[0]!,
      count: g.length,
      helpful: g.filter((q) => q.rating === 1).length,
      notHelpful: g.filter((q) => q.rating === -1).length,
    }));
    const byCount = (a: QuestionGroup, b: QuestionGroup) => b.count - a.count;
    return {
      enabled: lesson.tutorEnabled,
      notCovered: groups.filter((g) => !g.lead.covered).sort(byCount),
      answered: groups.filter((g) => g.lead.covered).sort(byCount),
      pins,
    };
  }

  /** Pins the instructor's wording of the answer to a question learners asked in the lesson. */
  async pin(session: LtiSession, lessonId: string, questionId: string, answer: string): Promise<void> {
    await this.lessonOf(session, lessonId);
    const q = await this.d.questions.get(session.tenantId, questionId);
    if (!q || q.lessonId !== lessonId) throw ApiError.of('NOT_FOUND', 'No such question in this lesson.');
    const pinId = await this.d.pins.pin(session.tenantId, {
      lessonId,
      question: q.question,
      terms: q.terms,
      answer,
      sources: q.sources,
      pinnedBy: session.userId,
    });
    this.d.log.info(
      { event: 'tutor.pinned', tenantId: session.tenantId, lessonId, pinId, questionId },
      'tutor answer pinned',
    );
  }

  async unpin(session: LtiSession, lessonId: string, pinId: string): Promise<boolean> {
    await this.lessonOf(session, lessonId);
    return this.d.pins.unpin(session.tenantId, lessonId, pinId);
  }

  async setEnabled(session: LtiSession, lessonId: string, on: boolean): Promise<void> {
    await this.lessonOf(session, lessonId);
    await this.d.lessons.setTutorEnabled(session.tenantId, session.contextId, lessonId, on);
    this.d.log.info(
      { event: on ? 'tutor.enabled' : 'tutor.disabled', tenantId: session.tenantId, lessonId },
      'lesson tutor switched',
    );
  }

  private async lessonOf(session: LtiSession, lessonId: string) {
    if (session.role !== 'instructor')
      throw ApiError.of('FORBIDDEN', 'Only the course’s instructors review the tutor.');
    const lesson = await this.d.lessons.tutorOf(session.tenantId, session.contextId, lessonId);
    if (!lesson) throw ApiError.of('NOT_FOUND', 'No such lesson in this course.');
    return lesson;
  }
}
