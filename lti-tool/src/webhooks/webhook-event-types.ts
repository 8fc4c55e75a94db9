import { z } from 'zod';

const when = z.iso.datetime();

/**
 * What each event's `data` holds: the contract receivers code against (the OpenAPI document lists
 * them under `webhooks`). A field is only ever added; one removed or changed is a new event type.
 */
export const WEBHOOK_EVENTS = {
  'render.done': z
    .object({
      renderId: z.uuid(),
      lessonId: z.uuid(),
      versionId: z.uuid(),
      engine: z.enum(['preview', 'liveavatar']),
      durationSec: z.number().meta({ description: 'The video’s length.' }),
      finishedAt: when,
      href: z.url().meta({ description: 'The render in the API (GET it for signed media links).' }),
    })
    .meta({ id: 'RenderDoneEvent', description: 'A render finished and its files verified.' }),
  'render.failed': z
    .object({
      renderId: z.uuid(),
      lessonId: z.uuid(),
      engine: z.enum(['preview', 'liveavatar']),
      error: z.string(),
      finishedAt: when,
      href: z.url(),
    })
    .meta({ id: 'RenderFailedEvent', description: 'A render failed for good (its attempts are spent).' }),
  'lesson.published': z
    .object({
      lessonId: z.string(),
      title: z.string(),
      renderId: z.uuid().meta({ description: 'The render learners now see.' }),
      courseId: z.string().nullable().meta({ description: 'The LMS course (LTI context) it belongs to.' }),
      publishedAt: when,
    })
    .meta({ id: 'LessonPublishedEvent', description: 'A version of a lesson was published to learners.' }),
  'learner.completed': z
    .object({
      lessonId: z.string(),
      userId: z.string().meta({ description: 'The learner as the LMS names them (LTI `sub`).' }),
      courseId: z.string().nullable(),
      scorePercent: z.number().int().min(0).max(100).meta({
        description: 'The lesson’s grade at completion: watching and, where it has questions, points.',
      }),
      completedAt: when,
    })
    .meta({ id: 'LearnerCompletedEvent', description: 'A learner completed a lesson (once per learner).' }),
  'question.asked': z
    .object({
      questionId: z.uuid(),
      lessonId: z.string(),
      userId: z.string().meta({ description: 'The learner as the LMS names them (LTI `sub`).' }),
      courseId: z.string().nullable(),
      question: z.string(),
      covered: z.boolean().meta({
        description:
          'False when the course material does not answer it: what the course should explain better.',
      }),
      answeredBy: z.enum(['extractive', 'llm', 'pinned', 'none']),
      askedAt: when,
    })
    .meta({ id: 'QuestionAskedEvent', description: 'A learner asked the lesson’s tutor a question.' }),
} as const satisfies Record<string, z.ZodType>;

export type WebhookEventType = keyof typeof WEBHOOK_EVENTS;
export const WEBHOOK_EVENT_TYPES = Object.keys(WEBHOOK_EVENTS) as [WebhookEventType, ...WebhookEventType[]];
export const WebhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES);

/** An event to send to the tenant's endpoints that want it; `key` names what it reports, once. */
export interface WebhookEvent<T extends WebhookEventType = WebhookEventType> {
  readonly tenantId: string;
  readonly type: T;
  readonly key: string;
  readonly data: z.input<(typeof WEBHOOK_EVENTS)[T]>;
}

/** The body every delivery sends (Standard Webhooks' recommended shape). */
export const webhookBody = (type: WebhookEventType, timestamp: Date, data: unknown): object => ({
  type,
  timestamp: timestamp.toISOString(),
  data,
});
