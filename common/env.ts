import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { problemsOf } from './zod-problems.js';

/**
 * What the tool and the render node share that is neither a contract nor a product: where the
 * repository is, and how a service reads its settings.
 */

/** Repository root, found from this file whether it runs from source (common/) or from dist/common/. */
export const REPO_ROOT = resolve(
  dirname(fileURLToPath(import.meta.url)),
  fileURLToPath(import.meta.url).includes('/dist/') ? '../..' : '..',
);

/** Reads a service's settings from the environment, naming every bad value at once. */
export function parseEnv<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv, service: string): T {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const detail = problemsOf(parsed.error).join('; ');
    throw new Error(`Invalid ${service} configuration: ${detail}`);
  }
  return parsed.data;
}
