import type { z } from 'zod';

/**
 * What a schema refused, one line per problem ("settings.fps: Too big: expected …"): the wording of
 * every refusal of input, whether an API request, a render contract message or the environment.
 * `whole` names the value itself when the problem is not in a field of it.
 */
export const problemsOf = (e: z.ZodError, whole = '(root)'): string[] =>
  e.issues.map((i) => `${i.path.join('.') || whole}: ${i.message}`);

/** The fields a schema refused, each once, for a form to mark. */
export const fieldsOf = (e: z.ZodError): string[] => [...new Set(e.issues.map((i) => i.path.join('.')))];
