import type { OpenAPIRegistry, ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

/**
 * How each route file describes its URLs in the OpenAPI document (`api/openapi-document.ts`): the
 * route file registers its paths with the very schemas its routes validate with, so the contract
 * cannot drift from the code by a second copy. `tests/integration/api-contract.test.ts` holds every
 * route to its description and produces every documented status.
 */
export type ApiDescription = (registry: OpenAPIRegistry) => void;

/** A refusal, as the one error handler answers it (problem+json, RFC 9457). */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().meta({ description: 'What went wrong, in English, for a developer.' }),
    code: z.string().meta({
      description: 'The stable code to match (INVALID_REQUEST, NOT_FOUND, NO_FACE…); never match sentences.',
      example: 'NOT_FOUND',
    }),
    reference: z.string().meta({ description: 'Finds the tool’s log line of this refusal.' }),
    problems: z
      .array(z.string())
      .optional()
      .meta({ description: 'What a schema refused, one line per field ("fps: Too big…").' }),
    error: z.string().meta({ description: 'The detail again, for clients written before problem+json.' }),
  })
  .meta({ id: 'Problem' });

const WHY: Readonly<Record<number, string>> = {
  400: 'The request does not match its schema (`problems` says where), or its JSON does not parse.',
  401: 'No valid API key or launch session (`Authorization: Bearer …`).',
  403: 'The caller may not do this (say, an action that belongs to a course’s launch).',
  404: 'Nothing of that id in the caller’s tenant (another tenant’s is not found either).',
  409: 'The resource is not in a state that allows this.',
  413: 'The upload is larger than the tool accepts.',
  415: 'The file is not of a type the tool accepts (its bytes are sniffed, not its name).',
  422: 'Understood but refused (the `code` says why: a portrait without a face, a script that cannot be spoken…).',
  429: 'Too many requests; try again after the time in `Retry-After`.',
};
export type RefusalStatus = keyof typeof WHY & number;

/** The problem+json answers an operation documents, each produced by a test. */
export const refusals = (...statuses: number[]): Record<number, ResponseConfig> =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      {
        description: WHY[s] ?? 'Refused.',
        content: { 'application/problem+json': { schema: ProblemSchema } },
      },
    ]),
  );

/** A JSON answer. */
export const jsonAnswer = (schema: z.ZodType, description: string): ResponseConfig => ({
  description,
  content: { 'application/json': { schema } },
});

/** A JSON request body. */
export const jsonBody = (schema: z.ZodType): NonNullable<RouteConfig['request']>['body'] => ({
  required: true,
  content: { 'application/json': { schema } },
});

/** Express's `:id` path syntax as OpenAPI's `{id}`. */
export const openApiPath = (expressPath: string): string => expressPath.replace(/:(\w+)/g, '{$1}');
