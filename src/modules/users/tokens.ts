import { randomToken, sha256 } from '../../platform/crypto/hashing.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';

/** What a mailed single-use token is for, and how long it lives. */
export const TOKEN_PURPOSES = {
  email_verification: { ttlSeconds: 24 * 60 * 60 },
  /** Proves a new address before it replaces the account's email; carries the address. */
  email_change: { ttlSeconds: 24 * 60 * 60 },
  password_reset: { ttlSeconds: 60 * 60 },
  /** Second step of a login for users with mfa_enabled. */
  email_authentication: { ttlSeconds: 15 * 60 },
} as const;

export type TokenPurpose = keyof typeof TOKEN_PURPOSES;

/** Small facts a token carries to its use (the new address, the organization a login asked for). */
export type TokenPayload = Record<string, string>;

export interface UsedToken {
  userId: number;
  purpose: TokenPurpose;
  payload: TokenPayload;
}

export type TokenProblem = 'unknown' | 'expired';

/**
 * Issues a single-use token; only its SHA-256 is stored. A payload rides inside the token text
 * itself (`<random>.<base64url json>`): the stored hash covers it, so it cannot be altered, and no
 * column is needed for it.
 */
export async function issueUserToken(
  db: DbHandle,
  userId: number,
  purpose: TokenPurpose,
  payload?: TokenPayload,
): Promise<string> {
  const raw = payload
    ? `${randomToken(32)}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`
    : randomToken(32);
  const now = nowSeconds();
  await db
    .insertInto('user_tokens')
    .values({
      user_id: userId,
      purpose,
      token_hash: sha256(raw),
      expires_at: now + TOKEN_PURPOSES[purpose].ttlSeconds,
      used_at: null,
      created_at: now,
    })
    .execute();
  return raw;
}

function payloadOf(raw: string): TokenPayload {
  const dot = raw.indexOf('.');
  if (dot < 0) return {};
  try {
    const parsed = JSON.parse(Buffer.from(raw.slice(dot + 1), 'base64url').toString('utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as TokenPayload) : {};
  } catch {
    return {};
  }
}

/** Reads a live token without using it (e.g. to check a new password against its user first). */
export async function peekUserToken(
  db: DbHandle,
  raw: string,
  purposes: readonly TokenPurpose[],
): Promise<UsedToken | TokenProblem> {
  const row = await db
    .selectFrom('user_tokens')
    .select(['user_id', 'purpose', 'expires_at', 'used_at'])
    .where('token_hash', '=', sha256(raw))
    .where('purpose', 'in', purposes)
    .executeTakeFirst();
  if (!row || row.used_at !== null) return 'unknown';
  if (Number(row.expires_at) <= nowSeconds()) return 'expired';
  return { userId: row.user_id, purpose: row.purpose as TokenPurpose, payload: payloadOf(raw) };
}

/**
 * Uses a token once. The conditional update makes two concurrent uses of the same token end with
 * exactly one success.
 */
export async function consumeUserToken(
  db: DbHandle,
  raw: string,
  purposes: readonly TokenPurpose[],
): Promise<UsedToken | TokenProblem> {
  const found = await peekUserToken(db, raw, purposes);
  if (typeof found === 'string') return found;
  const now = nowSeconds();
  const result = await db
    .updateTable('user_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', sha256(raw))
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1 ? found : 'unknown';
}

/** Ends every live token of one purpose (a new reset mail makes older ones useless). */
export async function revokeUserTokens(db: DbHandle, userId: number, purposes: readonly TokenPurpose[]): Promise<void> {
  await db
    .updateTable('user_tokens')
    .set({ used_at: nowSeconds() })
    .where('user_id', '=', userId)
    .where('purpose', 'in', purposes)
    .where('used_at', 'is', null)
    .execute();
}
