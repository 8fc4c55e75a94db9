import { z } from 'zod';

/** The dashboard's filters, from a query string or a form; anything unknown is simply no filter. */
export const DashboardQuerySchema = z.object({
  lesson: z.uuid().optional().catch(undefined),
  state: z.enum(['not-started', 'in-progress', 'completed']).optional().catch(undefined),
  sync: z.enum(['delivered', 'pending', 'failed']).optional().catch(undefined),
  search: z.string().max(100).optional().catch(undefined),
  format: z.enum(['html', 'csv']).optional().catch(undefined),
});

export const filterOf = (q: unknown) => {
  const f = DashboardQuerySchema.parse(q ?? {});
  return {
    filter: { lessonId: f.lesson, state: f.state, sync: f.sync, search: f.search || undefined },
    csv: f.format === 'csv',
  };
};

/** "Resend" from a dashboard: all refused grades in view, or one learner's on one lesson. */
const ResendSchema = z.discriminatedUnion('resend', [
  z.object({ resend: z.literal('all') }),
  z.object({ resend: z.literal('one'), resend_lesson: z.uuid(), resend_user: z.string().min(1).max(255) }),
]);

/** What a dashboard's resend form asks for; undefined when it asks for nothing valid. */
export function resendOf(body: unknown): { lessonId?: string; userId?: string } | undefined {
  const r = ResendSchema.safeParse(body ?? {});
  if (!r.success) return undefined;
  return r.data.resend === 'all' ? {} : { lessonId: r.data.resend_lesson, userId: r.data.resend_user };
}
