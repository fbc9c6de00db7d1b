import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { translateDatabaseError } from '../db/errors.js';
import { AppError, type ErrorCode } from '../errors.js';

/** Fastify's own request errors, in our vocabulary. */
const FASTIFY_ERRORS: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PayloadTooLarge', message: 'body: the request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'UnsupportedMediaType',
    message: 'body: unsupported content type; send application/json or application/x-www-form-urlencoded',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'BadRequest', message: 'body: the JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'BadRequest', message: 'body: malformed JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'BadRequest',
    message: 'the Content-Length header does not match the body',
  },
  FST_ERR_CTP_INVALID_TYPE: { code: 'BadRequest', message: 'the Content-Type header is invalid' },
  FST_ERR_BAD_URL: { code: 'BadRequest', message: 'the request URL is malformed' },
  FST_ERR_ASYNC_CONSTRAINT: { code: 'BadRequest', message: 'the request could not be routed' },
};

/** `1048576` -> `1 MiB (1048576 bytes)`: the limit in a unit people read, and exactly. */
export function describeBytes(bytes: number): string {
  const units: Array<[string, number]> = [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ];
  const [unit, size] = units.find(([, size]) => bytes >= size) ?? ['bytes', 1];
  const amount = Number((bytes / size).toFixed(2));
  return size === 1 ? `${bytes} bytes` : `${amount} ${unit} (${bytes} bytes)`;
}

export function errorBody(code: string, message: string, details: string[], requestId: string): string {
  return JSON.stringify({ errors: [{ code, message, details }], request_id: requestId });
}

function sendError(reply: FastifyReply, status: number, code: string, message: string, details: string[] = []) {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(errorBody(code, message, details, String(reply.request.id)));
}

/**
 * Errors the router raises before any route or hook runs (Fastify's `frameworkErrors`): answered
 * with the same envelope and request id as everything else.
 */
export function frameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  reply.header('x-request-id', request.id);
  reply.header('x-content-type-options', 'nosniff');
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return sendError(reply, 414, 'BadRequest', 'path: a path parameter is longer than 500 characters');
  }
  const known = error.code ? FASTIFY_ERRORS[error.code] : undefined;
  return sendError(reply, 400, known?.code ?? 'BadRequest', known?.message ?? 'the request URL is malformed');
}

/** One place that turns any thrown value into the error envelope; unknown errors become a bare 500. */
export function installErrorHandling(app: FastifyInstance, log: FastifyBaseLogger): void {
  app.setErrorHandler((error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AppError) {
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      if (error.status >= 500) log.error({ err: error, req: request }, 'request failed');
      return sendError(reply, error.status, error.code, error.message, error.details);
    }
    const fastifyError = error as FastifyError;
    const known = fastifyError.code ? FASTIFY_ERRORS[fastifyError.code] : undefined;
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = request.routeOptions.bodyLimit;
      const message = `body: the request body is too large: this operation accepts at most ${describeBytes(limit)}`;
      return sendError(reply, 413, 'PayloadTooLarge', message, [`limit: ${limit} bytes`]);
    }
    if (known) {
      const status = known.code === 'PayloadTooLarge' ? 413 : known.code === 'UnsupportedMediaType' ? 415 : 400;
      return sendError(reply, status, known.code, known.message);
    }
    if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
      return sendError(reply, 400, 'BadRequest', 'body: malformed JSON');
    }
    const fromDb = translateDatabaseError(error);
    if (fromDb) return sendError(reply, fromDb.status, fromDb.code, fromDb.message, fromDb.details);
    if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
      return sendError(reply, fastifyError.statusCode, 'BadRequest', fastifyError.message);
    }
    log.error({ err: error, req: request }, 'unexpected error');
    return sendError(reply, 500, 'InternalError', 'internal error; quote the request_id when reporting it');
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'NotFound', `no route for ${request.method} ${request.url.split('?')[0]}`),
  );
}
