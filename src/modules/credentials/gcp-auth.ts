import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { badGateway, gatewayTimeout, unprocessable } from '../../platform/errors.js';
import {
  OutboundError,
  type OutboundPolicy,
  type OutboundResponse,
  outboundRequest,
} from '../../platform/net/outbound.js';
import { quoteUpstream } from '../../platform/net/upstream-text.js';

/**
 * Google's OAuth 2.0 flow for service accounts: the server signs a short JWT with the key's private key
 * and trades it for an access token. The key's own `token_uri` is deliberately ignored: a user-supplied
 * key must not choose which address the server calls.
 */

export const BIGQUERY_READONLY_SCOPE = 'https://www.googleapis.com/auth/bigquery.readonly';

export interface ServiceAccountKey {
  clientEmail: string;
  projectId: string;
  privateKey: KeyObject;
  privateKeyId?: string;
}

type KeyCheck = { key: ServiceAccountKey; problem?: undefined } | { key?: undefined; problem: string };

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** Every message names the field only: never the key material, nor a parser message quoting it. */
function checkServiceAccountKey(jsonKey: string): KeyCheck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(jsonKey);
  } catch {
    return { problem: 'json_key is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { problem: 'json_key must be a JSON object (a service-account key file)' };
  }
  const fields = parsed as Record<string, unknown>;
  if (fields.type !== 'service_account') return { problem: 'json_key must be a key of type "service_account"' };
  if (!nonEmptyString(fields.client_email) || !fields.client_email.includes('@')) {
    return { problem: 'json_key has no valid client_email' };
  }
  if (!nonEmptyString(fields.project_id)) return { problem: 'json_key has no project_id' };
  if (!nonEmptyString(fields.private_key)) return { problem: 'json_key has no private_key' };
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(fields.private_key);
  } catch {
    return { problem: 'the private_key of json_key is not a readable PEM private key' };
  }
  if (privateKey.asymmetricKeyType !== 'rsa') return { problem: 'the private_key of json_key must be an RSA key' };
  return {
    key: {
      clientEmail: fields.client_email,
      projectId: fields.project_id,
      privateKey,
      ...(nonEmptyString(fields.private_key_id) ? { privateKeyId: fields.private_key_id } : {}),
    },
  };
}

/** A problem sentence for a `gcp` credential's json_key, or undefined when it is a usable key. */
export function validateServiceAccountKey(jsonKey: string): string | undefined {
  return checkServiceAccountKey(jsonKey).problem;
}

/** Throws unprocessable with the reason when the key cannot be used. */
export function parseServiceAccountKey(jsonKey: string): ServiceAccountKey {
  const check = checkServiceAccountKey(jsonKey);
  if (check.problem !== undefined) throw unprocessable(check.problem);
  return check.key;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** The signed JWT assertion of RFC 7523, valid one hour from `nowSeconds`. */
export function signAssertion(key: ServiceAccountKey, tokenUrl: string, scope: string, nowSeconds: number): string {
  const header = { alg: 'RS256', typ: 'JWT', ...(key.privateKeyId ? { kid: key.privateKeyId } : {}) };
  const claims = { iss: key.clientEmail, scope, aud: tokenUrl, iat: nowSeconds, exp: nowSeconds + 3600 };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${base64url(sign('sha256', Buffer.from(signingInput), key.privateKey))}`;
}

/** Maps a failure to reach an upstream to 502/504; anything else is rethrown untouched. */
export function upstreamFailure(service: string, error: unknown): Error {
  if (!(error instanceof OutboundError)) return error instanceof Error ? error : new Error(String(error));
  if (error.kind === 'timeout')
    return gatewayTimeout(`${service} did not answer in time: ${quoteUpstream(error.message)}`);
  return badGateway(`${service} could not be reached: ${quoteUpstream(error.message)}`);
}

export function parseJsonBody(service: string, response: OutboundResponse): unknown {
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    throw badGateway(`${service} answered HTTP ${response.status} with a body that is not JSON`);
  }
}

export interface TokenRequestOptions {
  timeoutMs?: number;
  /** Seconds since the epoch; tests pin it. */
  nowSeconds?: number;
}

const TOKEN_SERVICE = 'the GCP token endpoint';

/** Trades a signed assertion for an access token at the configured `tokenUrl` (never the key's token_uri). */
export async function fetchAccessToken(
  key: ServiceAccountKey,
  tokenUrl: string,
  scope: string,
  policy: OutboundPolicy,
  options: TokenRequestOptions = {},
): Promise<string> {
  const assertion = signAssertion(key, tokenUrl, scope, options.nowSeconds ?? Math.floor(Date.now() / 1000));
  const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion });
  let response: OutboundResponse;
  try {
    response = await outboundRequest(
      tokenUrl,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        timeoutMs: options.timeoutMs,
      },
      policy,
    );
  } catch (error) {
    throw upstreamFailure(TOKEN_SERVICE, error);
  }
  if (response.status === 400 || response.status === 401 || response.status === 403) {
    throw unprocessable(`the GCP credential was refused: ${oauthErrorText(response)}`);
  }
  if (response.status !== 200) throw badGateway(`${TOKEN_SERVICE} answered HTTP ${response.status}`);
  const body = parseJsonBody(TOKEN_SERVICE, response) as { access_token?: unknown };
  if (!nonEmptyString(body?.access_token)) throw badGateway(`${TOKEN_SERVICE} answered without an access token`);
  return body.access_token;
}

/** `error: error_description` of an OAuth error answer (RFC 6749 §5.2), quoted safely. */
function oauthErrorText(response: OutboundResponse): string {
  let body: { error?: unknown; error_description?: unknown } | undefined;
  try {
    body = JSON.parse(response.body.toString('utf8'));
  } catch {
    body = undefined;
  }
  const error = nonEmptyString(body?.error) ? body.error : `HTTP ${response.status}`;
  const description = nonEmptyString(body?.error_description) ? `: ${body.error_description}` : '';
  return quoteUpstream(`${error}${description}`);
}
