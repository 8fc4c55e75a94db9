import { z } from 'zod';

/**
 * The payloads of the DingTalk notice queue: a send names a message of an organisation (the outbox
 * holds its recipients), a check names a send's DingTalk task whose outcome is asked for.
 */
export const NoticeJobSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('send'), corpId: z.string().min(1), messageKey: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('check'), corpId: z.string().min(1), taskId: z.string().min(1) }).strict(),
]);
export type NoticeJob = z.infer<typeof NoticeJobSchema>;
export type SendJob = Extract<NoticeJob, { kind: 'send' }>;
