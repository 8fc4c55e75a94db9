import { z } from 'zod';

/** A delivery waiting in the webhook outbox: the payload of a webhook job, never the event itself. */
export const WebhookJobSchema = z
  .object({ messageId: z.string().min(1), endpointId: z.string().min(1) })
  .strict();
export type WebhookJob = z.infer<typeof WebhookJobSchema>;
