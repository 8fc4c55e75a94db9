import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { inTransaction, type Db } from '../db/database.js';
import type { LtiSession } from '../lti/lti-sessions.js';
import { msg } from '../messages/messages.js';
import { ApiError } from '../web/api-error.js';
import { NO_EVENTS, type EventSink } from '../webhooks/webhook-events.js';
import type { AnswerClips } from './answer-clips.js';
import {
  withoutCitations,
  type AnswerComposer,
  type AnswerLanguage,
  type ComposedAnswer,
} from './answer-composer.js';
import { withoutInstructions } from './injection-guard.js';
import { LlmAnswerRefused } from './llm-composer.js';
import type { CourseScope, FoundPassage, PassageIndex } from './passage-index.js';
import { SAME_QUESTION, similarity } from './question-similarity.js';
import { isChinese } from './text-words.js';
import type { TutorPins } from './tutor-pins.js';
import type { AnswerSource, TutorQuestion, TutorQuestions } from './tutor-questions.js';

/** What a lesson's tutor needs of the lesson: whether it is on, and who presents it. */
export interface TutorLesson {
  readonly lessonId: string;
  readonly contextId: string;
  readonly tutorEnabled: boolean;
  /** The published version's portrait (a path in the media store) and voice; none before publication. */
  readonly presenter?: { readonly portraitPath: string; readonly voice?: string };
}

/** An answer as the learner's player shows it. */
export interface TutorAnswer {
  readonly id: string;
  readonly lessonId: string;
  readonly question: string;
  readonly answer: string;
  readonly covered: boolean;
  /** Each with `videoUrl` when it is in another lesson (the player plays it there, at its time). */
  readonly sources: readonly (AnswerSource & { readonly videoUrl?: string })[];
  readonly answeredBy: TutorQuestion['composer'];
  readonly rating: 1 | -1 | null;
  readonly askedAt: string;
  /** The presenter speaking the answer (streams while it renders); none for an answer not covered. */
  readonly clipUrl: string | null;
}

export interface TutorServiceDeps {
  readonly db: Db;
  readonly index: Pick<PassageIndex, 'refresh' | 'search' | 'lexemesOf'>;
  readonly questions: TutorQuestions;
  readonly pins: Pick<TutorPins, 'ofLesson'>;
  readonly lesson: (
    tenantId: string,
    contextId: string,
    lessonId: string,
  ) => Promise<TutorLesson | undefined>;
  /** The configured composer (extractive, or an LLM) and the extractive one it falls back to. */
  readonly composer: AnswerComposer;
  readonly extractive: AnswerComposer;
  readonly clips: Pick<AnswerClips, 'start'>;
  readonly clipUrl: (questionId: string) => string;
  /** A signed link to a lesson's published video, for a source in another lesson of the course. */
  readonly lessonVideo: (tenantId: string, lessonId: string) => Promise<string | undefined>;
  readonly events?: EventSink;
  readonly log: Logger;
}

/**
 * Whether a passage can answer the question: it has half the question's words (weighted by how rare
 * each is in the course), or at least two of them and a third of the weight. A question about
 * something the course never mentions shares none of its rare words, or one common word at most
 * ("How do I install Python?" meets "the password manager installed on your laptop").
 */
export const answersQuestion = (p: FoundPassage): boolean =>
  p.coverage >= 0.5 || (p.matched >= 2 && p.coverage >= 0.3);
/** Passages handed to the composer. */
const PASSAGES = 3;
/** The learner's history as the player lists it. */
const HISTORY = 20;

/**
 * The tutor of a course: a learner's question answered from the course's own material (a pinned
 * answer first, then the passages retrieval finds, composed), stored with the learner's id and
 * reported as question.asked, and spoken by the lesson's presenter when it has a source.
 */
export class TutorService {
  constructor(private readonly d: TutorServiceDeps) {}

  async ask(session: LtiSession, lessonId: string, question: string): Promise<TutorAnswer> {
    const lesson = await this.lessonOf(session, lessonId);
    if (!lesson.tutorEnabled)
      throw ApiError.of('CONFLICT', 'The tutor is turned off for this lesson.', { reason: 'TUTOR_OFF' });
    const started = performance.now();
    const scope: CourseScope = { tenantId: session.tenantId, contextId: lesson.contextId };
    const language: AnswerLanguage = isChinese(question) ? 'zh' : 'en';
    const terms = await this.d.index.lexemesOf(question);
    const pin = (await this.d.pins.ofLesson(session.tenantId, lessonId))
      .map((p) => ({ p, s: similarity(terms, p.terms) }))
      .filter((x) => x.s >= SAME_QUESTION)
      .sort((a, b) => b.s - a.s)[0]?.p;

    let answer: { text: string; spoken: string; sources: AnswerSource[]; by: TutorQuestion['composer'] };
    if (pin)
      answer = {
        text: pin.answer,
        spoken: withoutCitations(pin.answer),
        sources: [...pin.sources],
        by: 'pinned',
      };
    else {
      await this.d.index.refresh(scope);
      const found = await this.d.index.search(scope, question, PASSAGES * 3, terms);
      const relevant = found
        .filter(answersQuestion)
        .slice(0, PASSAGES)
        .map(withoutInstructions)
        .filter((p): p is FoundPassage => p !== undefined);
      const composed = relevant.length ? await this.compose(question, language, relevant) : undefined;
      answer = composed
        ? {
            text: composed.answer.text,
            spoken: composed.answer.spoken,
            sources: composed.answer.cited.map(sourceOf),
            by: composed.by,
          }
        : { text: msg.tutorService.notCovered[language], spoken: '', sources: [], by: 'none' };
    }
    const covered = answer.by !== 'none';
    const id = randomUUID();
    const askedAt = new Date();
    const events = this.d.events ?? NO_EVENTS;
    const announce = await inTransaction(this.d.db, async (c) => {
      await this.d.questions.add(c, {
        id,
        tenantId: session.tenantId,
        contextId: lesson.contextId,
        lessonId,
        userId: session.userId,
        question,
        terms,
        language,
        answer: answer.text,
        covered,
        sources: answer.sources,
        composer: answer.by,
        pinId: pin?.id,
      });
      return events.add(c, [
        {
          tenantId: session.tenantId,
          type: 'question.asked',
          key: id,
          data: {
            questionId: id,
            lessonId,
            userId: session.userId,
            courseId: lesson.contextId,
            question,
            covered,
            answeredBy: answer.by,
            askedAt: askedAt.toISOString(),
          },
        },
      ]);
    });
    announce();
    // Only an answer with a source is spoken.
    const spoken = covered && answer.sources.length > 0 && lesson.presenter && answer.spoken;
    if (spoken)
      this.d.clips.start(id, {
        tenantId: session.tenantId,
        portraitPath: lesson.presenter!.portraitPath,
        spoken: answer.spoken,
        language,
        voice: lesson.presenter!.voice,
      });
    this.d.log.info(
      {
        event: 'tutor.asked',
        tenantId: session.tenantId,
        lessonId,
        questionId: id,
        covered,
        answeredBy: answer.by,
        sources: answer.sources.length,
        ms: Math.round(performance.now() - started),
      },
      'tutor question answered',
    );
    return {
      id,
      lessonId,
      question,
      answer: answer.text,
      covered,
      sources: await this.playable(session.tenantId, lessonId, answer.sources),
      answeredBy: answer.by,
      rating: null,
      askedAt: askedAt.toISOString(),
      clipUrl: spoken ? this.d.clipUrl(id) : null,
    };
  }

  /** The learner's earlier questions in the course, newest first. */
  async history(session: LtiSession, lessonId: string): Promise<TutorAnswer[]> {
    const lesson = await this.lessonOf(session, lessonId);
    const asked = await this.d.questions.ofLearner(
      session.tenantId,
      lesson.contextId,
      session.userId,
      HISTORY,
    );
    return Promise.all(
      asked.map(async (q) => ({
        ...this.view(q),
        sources: await this.playable(session.tenantId, lessonId, q.sources),
      })),
    );
  }

  /** Sources in other lessons get a link to that lesson's video. */
  private async playable(tenantId: string, lessonId: string, sources: readonly AnswerSource[]) {
    return Promise.all(
      sources.map(async (s) =>
        s.lessonId === lessonId ? s : { ...s, videoUrl: await this.d.lessonVideo(tenantId, s.lessonId) },
      ),
    );
  }

  async rate(session: LtiSession, questionId: string, helpful: boolean): Promise<void> {
    if (!(await this.d.questions.rate(session.tenantId, session.userId, questionId, helpful ? 1 : -1)))
      throw ApiError.of('NOT_FOUND', 'No such question of yours.');
    this.d.log.info(
      { event: 'tutor.rated', tenantId: session.tenantId, questionId, helpful },
      'tutor answer rated',
    );
  }

  private view(q: TutorQuestion): TutorAnswer {
    return {
      id: q.id,
      lessonId: q.lessonId,
      question: q.question,
      answer: q.answer,
      covered: q.covered,
      sources: q.sources,
      answeredBy: q.composer,
      rating: q.rating ?? null,
      askedAt: q.askedAt.toISOString(),
      clipUrl: q.clipSha256 ? this.d.clipUrl(q.id) : null,
    };
  }

  private async lessonOf(session: LtiSession, lessonId: string): Promise<TutorLesson> {
    const lesson = await this.d.lesson(session.tenantId, session.contextId, lessonId);
    if (!lesson) throw ApiError.of('NOT_FOUND', 'No such lesson in this course.');
    return lesson;
  }

  /** The configured composer's answer; an LLM that fails or answers unsourced gives way to extraction. */
  private async compose(
    question: string,
    language: AnswerLanguage,
    passages: readonly FoundPassage[],
  ): Promise<{ answer: ComposedAnswer; by: 'extractive' | 'llm' } | undefined> {
    const input = { question, language, passages };
    if (this.d.composer.name === 'llm') {
      try {
        const answer = await this.d.composer.compose(input);
        return answer && { answer, by: 'llm' };
      } catch (e) {
        if (!(e instanceof LlmAnswerRefused)) throw e;
        this.d.log.warn(
          { event: 'tutor.llm_refused', reason: e.reason, err: e.message },
          'the model’s answer was not used; answering from the passages',
        );
      }
    }
    const answer = await this.d.extractive.compose(input);
    return answer && { answer, by: 'extractive' };
  }
}

const sourceOf = (p: FoundPassage): AnswerSource => ({
  lessonId: p.lessonId,
  lessonTitle: p.lessonTitle,
  chapter: p.chapter,
  startSec: p.startSec,
  text: p.text,
});
