import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request } from 'express';
import { isRenderError } from '../../../render-node/src/contract/render-errors.js';
import { ScriptError } from '../narration/script.js';
import { SpeechError } from '../narration/speech-engine.js';
import { UnknownLessonError } from '../renders/render-repository.js';
import { RenderInputError } from '../renders/render-service.js';
import { ApiError, type ApiErrorCode } from './api-error.js';
import { sendProblem } from './problem-page.js';
import { msg } from '../messages/messages.js';

/**
 * Every error a route lets through, as one ApiError: ours as they are, the domain's with their code
 * (the one place that maps them), the body parsers' and Express's by status; anything else is a 500
 * whose message is never shown.
 */
export function apiErrorOf(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ScriptError)
    return new ApiError(422, `SCRIPT_${err.problem.toUpperCase().replace(/-/g, '_')}`, err.message, {
      problem: err.problem,
    });
  if (err instanceof SpeechError)
    return err.permanent
      ? new ApiError(422, 'SPEECH_REFUSED', err.message, { problem: 'speech' })
      : new ApiError(
          503,
          'SPEECH_UNAVAILABLE',
          `Speech synthesis failed just now (${err.message}); nothing was saved. Try again shortly.`,
          { problem: 'speech-unavailable' },
        );
  if (err instanceof RenderInputError) return new ApiError(422, 'RENDER_INPUT', err.message);
  if (err instanceof UnknownLessonError) return new ApiError(422, 'UNKNOWN_LESSON', err.message);
  if (isRenderError(err)) return new ApiError(422, err.code, err.message);
  const e = err as { status?: number; type?: string; message?: string };
  if (e.type === 'entity.parse.failed') return ApiError.of('INVALID_JSON', 'The body is not valid JSON.');
  if (e.type === 'entity.too.large') return ApiError.of('PAYLOAD_TOO_LARGE', 'The body is too large.');
  if (e.status && e.status >= 400 && e.status < 500)
    return new ApiError(e.status, codeOfStatus(e.status), e.message ?? STATUS_CODES[e.status] ?? 'Refused.');
  return ApiError.of('INTERNAL', 'Something went wrong on our side.');
}

/** A status without a code of its own gets the generic one (401 UNAUTHENTICATED…), else its name. */
const GENERIC: Readonly<Record<number, ApiErrorCode>> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
};
const codeOfStatus = (status: number): string =>
  GENERIC[status] ??
  (STATUS_CODES[status] ?? 'Error')
    .toUpperCase()
    .replace(/[^A-Z]+/g, '_')
    .replace(/^_|_$/g, '');

/** A browser asking for a page (not a script asking the API) gets the bilingual problem page. */
const wantsPage = (req: Request): boolean =>
  !req.path.startsWith('/api/') && req.accepts(['json', 'html']) === 'html';

/**
 * The one error handler: problem+json (RFC 9457) for the API and other machine clients, the
 * bilingual problem page for browsers, both with a reference that finds the log line. `error`
 * repeats `detail` for clients written before problem+json.
 */
export function errorHandler(): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const e = apiErrorOf(err);
    const reference = randomBytes(5).toString('hex');
    if (e.status >= 500) req.log?.error({ err, reference }, 'request failed');
    else req.log?.warn({ code: e.code, err: e.message, reference }, 'request refused');
    if (res.headersSent) return void res.end();
    if (wantsPage(req)) {
      return sendProblem(
        req,
        res,
        {
          status: e.status,
          code: e.code,
          title: msg.errorHandler.statusTitle(e.status),
          text:
            e.status >= 500
              ? msg.errorHandler.somethingWentWrongOnOur
              : msg.errorHandler.requestRefused(e.code, e.message),
        },
        reference,
      );
    }
    res
      .status(e.status)
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: 'about:blank',
          title: STATUS_CODES[e.status],
          status: e.status,
          detail: e.message,
          code: e.code,
          reference,
          ...e.extra,
          error: e.message,
        }),
      );
  };
}
