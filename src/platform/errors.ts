/**
 * Errors that domains throw. They carry a stable machine `code`; the HTTP layer maps each code to a
 * status through STATUS_BY_CODE, in one place. Services never deal with HTTP statuses.
 */
export type ErrorCode =
  | 'BadRequest'
  | 'ValidationFailed'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'Conflict'
  | 'Gone'
  | 'LengthRequired'
  | 'PayloadTooLarge'
  | 'UnsupportedMediaType'
  | 'Unprocessable'
  | 'Locked'
  | 'TooManyRequests'
  | 'NotImplemented'
  | 'BadGateway'
  | 'ServiceUnavailable'
  | 'GatewayTimeout'
  | 'InternalError';

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  BadRequest: 400,
  ValidationFailed: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  Conflict: 409,
  Gone: 410,
  LengthRequired: 411,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  Unprocessable: 422,
  Locked: 423,
  TooManyRequests: 429,
  NotImplemented: 501,
  InternalError: 500,
  BadGateway: 502,
  ServiceUnavailable: 503,
  GatewayTimeout: 504,
};

export class AppError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details: string[] = [],
    /** Extra response headers (e.g. Retry-After). */
    public readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return STATUS_BY_CODE[this.code];
  }
}

export const badRequest = (message: string, details: string[] = []) => new AppError('BadRequest', message, details);
export const validationFailed = (message: string, details: string[] = []) =>
  new AppError('ValidationFailed', message, details);
export const unprocessable = (message: string, details: string[] = []) =>
  new AppError('Unprocessable', message, details);
export const unauthorized = (message = 'authentication required') => new AppError('Unauthorized', message);
export const forbidden = (message = 'you are not allowed to do this') => new AppError('Forbidden', message);
export const notFound = (what: string) => new AppError('NotFound', `${what} not found`);
export const conflict = (message: string, details: string[] = []) => new AppError('Conflict', message, details);

/** The 409 of a canonical already used in an organization, worded alike for every kind of entity. */
export const canonicalTaken = (kind: string, canonical: string, organization: { canonical: string }) =>
  conflict(`canonical: ${kind} '${canonical}' already exists in organization '${organization.canonical}'`);
export const tooManyRequests = (retryAfterSeconds: number) =>
  new AppError('TooManyRequests', 'too many requests, retry later', [], {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
  });
export const notImplemented = (operationId: string) =>
  new AppError('NotImplemented', `operation ${operationId} is not implemented yet`);
/** An upstream service (log store, cloud API) answered with an error or could not be reached. */
export const badGateway = (message: string) => new AppError('BadGateway', message);
/** An upstream service did not answer in time. */
export const gatewayTimeout = (message: string) => new AppError('GatewayTimeout', message);
