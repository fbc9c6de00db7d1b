import type { Config } from '../../config.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { unauthorized } from '../../platform/errors.js';
import type { Actor } from '../../platform/http/auth.js';
import { handleJob, jobKind } from '../../platform/jobs/kinds.js';

/**
 * Logout (an extension route, `POST /user/logout`): the presented session ends at once on every
 * replica. The session's id goes into revoked_sessions, which the session resolver reads in the same
 * query as the user; `all` bumps the user's token_version instead, which ends every session. The
 * operation is one of the users module's access writes, so the auth caches of every replica are
 * cleared when it finishes.
 */
export async function logout(db: DbHandle, config: Config, actor: Actor | undefined, all: boolean): Promise<void> {
  if (!actor?.userId || actor.kind !== 'user' || !actor.sessionId) {
    throw unauthorized('log out with the session token to end');
  }
  if (all) {
    await db
      .updateTable('users')
      .set((eb) => ({ token_version: eb('token_version', '+', 1) }))
      .where('id', '=', actor.userId)
      .execute();
    return;
  }
  const now = nowSeconds();
  await db
    .insertInto('revoked_sessions')
    .values({
      session_id: actor.sessionId,
      user_id: actor.userId,
      // No token of the session lives past this: the session's maximum age, or a token just refreshed
      // (should the maximum age have been raised since the login).
      expires_at: Math.max((actor.authTime ?? now) + config.sessionMaxAgeSeconds, now + config.sessionTtlSeconds),
      revoked_at: now,
    })
    .onConflict((oc) => oc.column('session_id').doNothing())
    .execute();
}

/** Removes the revocations of sessions that have expired anyway. */
export async function pruneRevokedSessions(db: DbHandle, now = nowSeconds()): Promise<number> {
  const result = await db.deleteFrom('revoked_sessions').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export const pruneRevoked = jobKind<null>('users.prune-revoked-sessions', { maxAttempts: 3, timeoutMs: 5 * 60_000 });

export const pruneRevokedJob = handleJob(pruneRevoked, async (_payload, ctx) => {
  const removed = await pruneRevokedSessions(ctx.db);
  if (removed > 0) ctx.log.info({ removed }, 'users: pruned revocations of expired sessions');
});
