import type { z } from 'zod';
import { problemsOf } from '../../../common/zod-problems.js';

/**
 * The stable codes of the tool's refusals (clients and tests match these, never sentences), with the
 * HTTP status each usually goes with. Domain errors get theirs in `error-handler.ts`; render errors
 * keep the render contract's codes (IMAGE_TOO_LARGE, NO_FACE…).
 */
export const API_ERROR_STATUS = {
  INVALID_REQUEST: 400,
  INVALID_JSON: 400,
  UNAUTHENTICATED: 401,
  BAD_SIGNATURE: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;
export type ApiErrorCode = keyof typeof API_ERROR_STATUS;

/**
 * A refusal a route throws: its status, stable code and message (in English, for a developer; the
 * pages say it in the reader's language), and extension members for problem+json (`problems`, the
 * field-by-field reasons of an invalid request). The one error handler turns it into the answer.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }

  /** A refusal with one of the generic codes, at its usual status. */
  static of(code: ApiErrorCode, message: string, extra?: Record<string, unknown>): ApiError {
    return new ApiError(API_ERROR_STATUS[code], code, message, extra);
  }

  /** A request its schema refused: what is wrong, field by field. */
  static invalid(message: string, e?: z.ZodError): ApiError {
    return ApiError.of('INVALID_REQUEST', message, e ? { problems: problemsOf(e, '(body)') } : {});
  }
}
