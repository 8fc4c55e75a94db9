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
