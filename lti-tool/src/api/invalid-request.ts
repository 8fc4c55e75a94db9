import type { z } from 'zod';

/** The 400 answer to a request its schema refused: what is wrong, field by field. */
export const invalidRequest = (error: string, e: z.ZodError): { error: string; problems: string[] } => ({
  error,
  problems: e.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
});
