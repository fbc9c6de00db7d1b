import type { FastifyRequest } from 'fastify';

/** Where a token came from; every carrier resolves to the same identity. */
export type TokenCarrier = 'bearer' | 'api-key-header' | 'x-api-key' | 'query-api_key' | 'query-access_token';

export interface PresentedToken {
  token: string;
  carrier: TokenCarrier;
}

/** Query-string parameters that carry tokens: accepted on every route and redacted from logs. */
export const QUERY_TOKEN_PARAMS = ['api_key', 'access_token'] as const;

/** Reads a token from any supported carrier (see docs/api-conventions.md). */
export function presentedToken(request: FastifyRequest): PresentedToken | undefined {
  const authorization = request.headers.authorization;
  if (authorization) {
    const space = authorization.indexOf(' ');
    const scheme = space > 0 ? authorization.slice(0, space).toLowerCase() : '';
    const value = space > 0 ? authorization.slice(space + 1).trim() : '';
    if (value && scheme === 'bearer') return { token: value, carrier: 'bearer' };
    if (value && scheme === 'api-key') return { token: value, carrier: 'api-key-header' };
  }
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.trim()) return { token: header.trim(), carrier: 'x-api-key' };
  const query = request.query as Record<string, unknown> | undefined;
  if (query) {
    if (typeof query.api_key === 'string' && query.api_key) return { token: query.api_key, carrier: 'query-api_key' };
    if (typeof query.access_token === 'string' && query.access_token) {
      return { token: query.access_token, carrier: 'query-access_token' };
    }
  }
  return undefined;
}

/**
 * Query parameters whose values are logged: paging, ordering, time ranges and flags. Every other value
 * may be user text or a secret put in the wrong place (tokens, a log query), so logs keep only its name.
 */
const LOGGED_QUERY_VALUES = new Set([
  'page_index',
  'page_size',
  'page',
  'per_page',
  'order_by',
  'begin',
  'end',
  'readonly',
  'force',
  'service',
  'external_backend_default',
]);
const QUERY_VALUE_PATTERN = /([?&])([^=&#]*)=([^&#]*)/g;
/** Operations whose last path segment is a single-use secret (verification, invitation links). */
const PATH_TOKEN_PATTERN = /(\/(?:user\/email\/(?:verification|authentication)|members\/verify)\/)[^/?#]+/;

/** `/x?api_key=secret&page_size=5` -> `/x?api_key=[REDACTED]&page_size=5`, and path tokens likewise, for logs. */
export function redactUrl(url: string): string {
  const redacted = url.includes('=')
    ? url.replace(QUERY_VALUE_PATTERN, (whole, lead: string, name: string) =>
        LOGGED_QUERY_VALUES.has(name) ? whole : `${lead}${name}=[REDACTED]`,
      )
    : url;
  return redacted.includes('/verif') || redacted.includes('/authentication/')
    ? redacted.replace(PATH_TOKEN_PATTERN, '$1[REDACTED]')
    : redacted;
}
