import type { z } from 'zod';
import { RenderJobSchema, type EngineName } from '../../../render-node/src/contract/render-job.js';
import { NoticeJobSchema } from '../dingtalk/notice-jobs.js';
import { GradeKeySchema } from '../grades/grade-key.js';
import { WebhookJobSchema } from '../webhooks/webhook-job.js';
import { msg } from '../messages/messages.js';
import type { Bilingual } from '../web/i18n.js';

/** A background queue: what its jobs carry, who works them, and what it is for. */
export interface QueueSpec {
  readonly payload: z.ZodType;
  /** `tool`: a worker in every tool instance; `render-node`: the render farm's nodes. */
  readonly processedBy: 'tool' | 'render-node';
  readonly about: Bilingual;
}

/**
 * Every BullMQ queue of the product, in one place (one owner per queue): its name, its payload's
 * schema (checked where a job is taken, like the render contract), and who processes it. The tool
 * refuses to start if a queue it processes has no handler; Bull Board, the admin's background page
 * and /metrics list exactly these.
 */
export const QUEUES = {
  'render-preview': {
    payload: RenderJobSchema,
    processedBy: 'render-node',
    about: msg.queues.previewRendersRenderNodesCpu,
  },
  'render-liveavatar': {
    payload: RenderJobSchema,
    processedBy: 'render-node',
    about: msg.queues.liveAvatarRendersGpuRender,
  },
  grades: {
    payload: GradeKeySchema,
    processedBy: 'tool',
    about: msg.queues.scoresToTheLmsGradebook,
  },
  'dingtalk-notices': {
    payload: NoticeJobSchema,
    processedBy: 'tool',
    about: msg.queues.dingtalkWorkNoticesAndTheir,
  },
  webhooks: {
    payload: WebhookJobSchema,
    processedBy: 'tool',
    about: msg.queues.webhookDeliveries,
  },
} as const satisfies Record<string, QueueSpec>;

// Every engine has its render queue here (a compile error otherwise).
QUEUES satisfies Record<`render-${EngineName}`, QueueSpec>;

export type QueueName = keyof typeof QUEUES;
/** The queues a tool instance works itself. */
export type ToolQueueName = {
  [Q in QueueName]: (typeof QUEUES)[Q]['processedBy'] extends 'tool' ? Q : never;
}[QueueName];
export type PayloadOf<Q extends QueueName> = z.infer<(typeof QUEUES)[Q]['payload']>;
export const QUEUE_NAMES = Object.keys(QUEUES) as QueueName[];
