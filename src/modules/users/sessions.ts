import { randomUUID } from 'node:crypto';
import { type JwtSigner, looksLikeJwt } from '../../platform/crypto/jwt.js';
import type { DbHandle } from '../../platform/db/database.js';
import { prepared } from '../../platform/db/prepared.js';
import type { Actor, TokenResolver } from '../../platform/http/auth.js';

export interface SessionUser {
  id: number;
  username: string;
  token_version: number;
}

export interface SessionOrganization {
  id: number;
  canonical: string;
  name: string;
}

/**
 * Signs a session token for a user, optionally opened into one organization. A login starts a new
 * session; a refresh passes the session it continues, so that a logout ends the whole chain.
 */
export function issueSessionToken(
  signer: JwtSigner,
  ttlSeconds: number,
  user: SessionUser,
  organization?: SessionOrganization,
  authTime = Math.floor(Date.now() / 1000),
  sessionId: string = randomUUID(),
): string {
  return signer.sign(
    {
      sub: String(user.id),
      sid: sessionId,
      ver: user.token_version,
      auth_time: authTime,
      ...(organization ? { org: organization.canonical } : {}),
      cycloid: {
        user: { id: user.id, username: user.username },
        ...(organization
          ? { organization: { id: organization.id, canonical: organization.canonical, name: organization.name } }
          : {}),
      },
    },
    ttlSeconds,
  );
}

/** The session's user and whether the session was revoked: one query on the hot path. */
const sessionUser = prepared((db, p: { id: number; sid: string }) =>
  db
    .selectFrom('users')
    .select((eb) => [
      'id',
      'username',
      'token_version',
      eb.exists(eb.selectFrom('revoked_sessions').select('session_id').where('session_id', '=', p.sid)).as('revoked'),
    ])
    .where('id', '=', p.id),
);
const organizationId$ = prepared((db, p: { canonical: string }) =>
  db.selectFrom('organizations').select('id').where('canonical', '=', p.canonical),
);

/**
 * Resolves session tokens. The user is read on every request, so a deleted account or a changed
 * password (which bumps token_version) ends every older session at once, and so does a logout (the
 * session's row in revoked_sessions, read by the same query).
 */
export function sessionTokenResolver(db: DbHandle, signer: JwtSigner, maxAgeSeconds: number): TokenResolver {
  return async ({ token }) => {
    if (!looksLikeJwt(token)) return undefined;
    const claims = signer.verify(token);
    if (!claims) return undefined;
    const userId = Number(claims.sub);
    if (!Number.isSafeInteger(userId)) return undefined;
    // Tokens from before auth_time existed count from their own issue time.
    const authTime = claims.auth_time ?? claims.iat;
    if (authTime + maxAgeSeconds <= Math.floor(Date.now() / 1000)) return undefined;
    // Tokens from before sessions had ids are their own session.
    const sessionId = claims.sid ?? claims.jti;
    const user = await sessionUser.first(db, { id: userId, sid: sessionId });
    if (!user || user.token_version !== claims.ver || isTrue(user.revoked)) return undefined;
    let organizationId: number | null = null;
    if (claims.org) {
      const org = await organizationId$.first(db, { canonical: claims.org });
      if (!org) return undefined;
      organizationId = org.id;
    }
    const actor: Actor = {
      kind: 'user',
      readonly: false,
      userId: user.id,
      username: user.username,
      apiKeyId: null,
      organizationId,
      authTime,
      sessionId,
      validUntil: Math.min(claims.exp, authTime + maxAgeSeconds) * 1000,
    };
    return actor;
  };
}

/** `exists` reads 1/0 on SQLite and true/false on PostgreSQL. */
function isTrue(value: unknown): boolean {
  return value === true || Number(value) === 1;
}
