import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { randomToken, safeEqual, sha256 } from '../../platform/crypto/hashing.js';
import { isSet, nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import type { Actor, TokenResolver } from '../../platform/http/auth.js';
import { keyByPrefix, ownerStillStands, touchLastUsed } from './repo.js';

/**
 * API key tokens look like `gty_<prefix>_<secret>`: the prefix (12 lowercase letters and digits) is
 * public and finds the key with one indexed lookup; the secret is 32 random bytes. Only the SHA-256 of
 * the whole token is stored.
 */
export const TOKEN_MARK = 'gty_';
const PREFIX_LENGTH = 12;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** `last_used` is a coarse "is this key still in use" signal: one write per key per minute at most. */
export const LAST_USED_INTERVAL_SECONDS = 60;

export function randomPrefix(): string {
  let out = '';
  while (out.length < PREFIX_LENGTH) {
    for (const byte of randomBytes(PREFIX_LENGTH * 2)) {
      // 252 = 7 * 36: rejecting the top bytes keeps every character equally likely.
      if (byte < 252 && out.length < PREFIX_LENGTH) out += ALPHABET[byte % ALPHABET.length];
    }
  }
  return out;
}

export function makeToken(prefix: string): string {
  return `${TOKEN_MARK}${prefix}_${randomToken(32)}`;
}

/** The prefix of a well-formed API key token, or undefined. */
export function prefixOf(token: string): string | undefined {
  if (!token.startsWith(TOKEN_MARK) || token.length < TOKEN_MARK.length + PREFIX_LENGTH + 2) return undefined;
  const prefix = token.slice(TOKEN_MARK.length, TOKEN_MARK.length + PREFIX_LENGTH);
  if (token[TOKEN_MARK.length + PREFIX_LENGTH] !== '_' || !/^[a-z0-9]+$/.test(prefix)) return undefined;
  return prefix;
}

/**
 * Resolves API key tokens to an actor acting for the key's organization. The authenticator keeps the
 * actor in the auth cache, which every write clears (on every replica): a deleted or changed key, or
 * a key whose owner left, fails on the very next request. Use is recorded when the key is read, so
 * `last_used` is as coarse as the cache's lifetime plus LAST_USED_INTERVAL_SECONDS. Which operations
 * accept keys is the registrar's rule (organization paths, public operations, and those declaring
 * `allowApiKeys`).
 */
export function apiKeyTokenResolver(db: DbHandle, log?: FastifyBaseLogger): TokenResolver {
  return async ({ token }, request) => {
    const prefix = prefixOf(token);
    if (!prefix) return undefined;
    const key = await keyByPrefix(db, prefix);
    if (!key || !safeEqual(sha256(token), key.token_hash)) return undefined;

    const now = nowSeconds();
    // Expired, or its owner is gone (account deleted, or no longer a member where the key works): the
    // token is refused like an unknown one, until an admin gives the key a new owner.
    if (key.expires_at !== null && key.expires_at <= now) return undefined;
    if (key.owner_gone_at !== null) return undefined;
    if (key.owner_user_id !== null && !(await ownerStillStands(db, key.organization_id, key.owner_user_id))) {
      return undefined;
    }
    if (key.last_used_at === null || key.last_used_at <= now - LAST_USED_INTERVAL_SECONDS) {
      // Best effort: failing to record usage must not fail the request.
      await touchLastUsed(db, key.id, now, LAST_USED_INTERVAL_SECONDS).catch((error: unknown) =>
        log?.warn({ err: error, apiKeyId: key.id, req: request }, 'could not record API key usage'),
      );
    }
    const actor: Actor = {
      kind: 'api_key',
      readonly: isSet(key.readonly),
      userId: key.owner_user_id,
      username: key.owner_username ?? null,
      apiKeyId: key.id,
      organizationId: key.organization_id,
      validUntil: key.expires_at !== null ? key.expires_at * 1000 : Number.POSITIVE_INFINITY,
    };
    return actor;
  };
}
