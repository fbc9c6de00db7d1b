import { effectiveRules, organizationChain } from '../../platform/authz/access.js';
import { decoyPasswordHash, hashPassword, needsRehash, verifyPassword } from '../../platform/crypto/hashing.js';
import { flag, isSet } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { AppError, forbidden, notFound, unauthorized, unprocessable } from '../../platform/errors.js';
import type { Actor } from '../../platform/http/auth.js';
import { RATE_LIMITS, rateKey } from '../../platform/http/rate-limit.js';
import { ownedEntityPaths } from '../../platform/ownership/lookups.js';
import type { CallInfo, UsersEnv } from './context.js';
import { joinByInvitation } from './invitations.js';
import { deliver, loginConfirmationMail } from './mails.js';
import { presentPermissions, type UserSession } from './present.js';
import { findUserByEmail, findUserById, findUserByUsername, recordLogin, type UserRow, updateUser } from './repo.js';
import { issueSessionToken } from './sessions.js';
import { consumeUserToken, issueUserToken } from './tokens.js';

export interface LoginInput {
  email?: string;
  username?: string;
  password: string;
  organization_canonical?: string;
  invitation_token?: string;
}

const WRONG_CREDENTIALS = 'wrong email, username or password';

function userActor(user: UserRow): Actor {
  return {
    kind: 'user',
    readonly: false,
    userId: user.id,
    username: user.username,
    apiKeyId: null,
    organizationId: null,
  };
}

/**
 * A session token for the user, opened into an organization when one is named: the user must have
 * standing there (a membership in it or an ancestor). A non-member gets the same 404 as for an
 * organization that does not exist.
 */
export async function openSession(
  env: UsersEnv,
  db: DbHandle,
  user: UserRow,
  organizationCanonical?: string,
  authTime = Math.floor(Date.now() / 1000),
  sessionId?: string,
): Promise<UserSession> {
  // A refreshed session never outlives the login it comes from by more than the maximum age.
  const left = authTime + env.config.sessionMaxAgeSeconds - Math.floor(Date.now() / 1000);
  const ttl = Math.min(env.config.sessionTtlSeconds, left);
  if (!organizationCanonical) {
    return {
      token: issueSessionToken(env.signer, ttl, user, undefined, authTime, sessionId),
      owns: [],
      permissions: {},
    };
  }
  const chain = await organizationChain(db, organizationCanonical);
  const rules = chain ? await effectiveRules(db, userActor(user), chain) : undefined;
  if (!chain || !rules) throw notFound(`organization '${organizationCanonical}'`);
  const org = chain[0];
  return {
    token: issueSessionToken(
      env.signer,
      ttl,
      user,
      { id: org.id, canonical: org.canonical, name: org.name },
      authTime,
      sessionId,
    ),
    owns: await ownedEntityPaths(db, user.id, org),
    permissions: presentPermissions(rules),
  };
}

/**
 * Password check with throttling: per client address on every attempt; on failures, per identity from
 * this address (so nobody can lock the owner out from elsewhere) and per identity from everywhere (a
 * higher budget against guessing spread over many addresses). Unknown users cost the same scrypt work
 * as known ones and get the same answer.
 */
async function checkCredentials(env: UsersEnv, input: LoginInput, call: CallInfo): Promise<UserRow> {
  const identity = input.email ?? input.username;
  if (!identity) throw unprocessable('body: email or username is required');
  await env.limiter.consume(`login:ip:${call.ip}`, RATE_LIMITS.loginAttemptsPerIp);
  const identityKey = rateKey('login:id', `${identity}\u0000${call.ip}`);
  const anywhereKey = rateKey('login:id-all', identity);
  await env.limiter.ensureBelow(identityKey, RATE_LIMITS.loginFailuresPerIdentity);
  await env.limiter.ensureBelow(anywhereKey, RATE_LIMITS.loginFailuresPerIdentityAnywhere);

  let user = input.email ? await findUserByEmail(env.db, input.email) : await findUserByUsername(env.db, identity);
  if (user && input.email && input.username && user.username !== input.username) user = undefined;
  const passwordOk = await verifyPassword(input.password, user?.password_hash ?? (await decoyPasswordHash()));
  if (!user || !passwordOk) {
    await env.limiter.consume(identityKey, RATE_LIMITS.loginFailuresPerIdentity);
    await env.limiter.consume(anywhereKey, RATE_LIMITS.loginFailuresPerIdentityAnywhere);
    throw unauthorized(WRONG_CREDENTIALS);
  }
  await env.limiter.reset(identityKey);
  if (needsRehash(user.password_hash)) {
    // The password is known right now: store it under today's parameters.
    await updateUser(env.db, user.id, { password_hash: await hashPassword(input.password) });
  }
  return user;
}

/** After the password (and the mailed confirmation, for MFA users): invitation, verification, session. */
async function finishLogin(
  env: UsersEnv,
  user: UserRow,
  target: { organization?: string; invitation?: string },
): Promise<UserSession> {
  return env.db.transaction().execute(async (trx) => {
    let verified = isSet(user.email_verified);
    if (target.invitation) {
      const joined = await joinByInvitation(trx, user, target.invitation);
      if (joined.emailProven && !verified) {
        await updateUser(trx, user.id, { email_verified: flag(true) });
        verified = true;
      }
    }
    if (!verified) {
      throw forbidden(
        'your email address is not verified yet: follow the link in the verification mail (POST /user/email/verification sends a new one)',
      );
    }
    await recordLogin(trx, user.id);
    return openSession(env, trx, user, target.organization);
  });
}

/**
 * Users with mfa_enabled get a one-time confirmation mail instead of a session; the 401 says so
 * (detail `mfa_required`), and PUT /user/email/authentication/{token} finishes the login.
 */
export async function login(env: UsersEnv, input: LoginInput, call: CallInfo): Promise<UserSession> {
  const user = await checkCredentials(env, input, call);
  const target = { organization: input.organization_canonical, invitation: input.invitation_token };
  if (!isSet(user.mfa_enabled)) return finishLogin(env, user, target);

  const payload: Record<string, string> = {};
  if (target.organization) payload.org = target.organization;
  if (target.invitation) payload.inv = target.invitation;
  const token = await issueUserToken(env.db, user.id, 'email_authentication', payload);
  await deliver(env.mailer, env.log, loginConfirmationMail(user.email, call.baseUrl, token));
  throw new AppError(
    'Unauthorized',
    'login confirmation required: a one-time confirmation link was mailed to your address; PUT /user/email/authentication/{token} finishes the login',
    ['mfa_required'],
  );
}

export async function confirmLogin(env: UsersEnv, raw: string): Promise<UserSession> {
  const used = await consumeUserToken(env.db, raw, ['email_authentication']);
  if (typeof used === 'string') throw unauthorized('the login confirmation token is invalid, expired or already used');
  const user = await findUserById(env.db, used.userId);
  if (!user) throw unauthorized('the login confirmation token is invalid, expired or already used');
  return finishLogin(env, user, { organization: used.payload.org, invitation: used.payload.inv });
}

/** The user behind a session; API keys act for an organization and have no account here. */
export async function sessionUser(db: DbHandle, actor: Actor | undefined): Promise<UserRow> {
  if (!actor) throw unauthorized('authentication required: send a token as "Authorization: Bearer <token>"');
  if (actor.kind !== 'user' || actor.userId === null) {
    throw forbidden('API keys cannot use /user endpoints: they act for an organization, not for a user');
  }
  const user = await findUserById(db, actor.userId);
  if (!user) throw unauthorized('the token is invalid, expired or revoked');
  return user;
}

/**
 * A fresh session. Without organization_canonical it keeps the current token's organization;
 * child_canonical switches to any descendant of organization_canonical.
 */
export async function refreshSession(
  env: UsersEnv,
  actor: Actor | undefined,
  query: { organization_canonical?: string; child_canonical?: string },
): Promise<UserSession> {
  const user = await sessionUser(env.db, actor);
  const authTime = actor?.authTime ?? Math.floor(Date.now() / 1000);
  if (authTime + env.config.sessionMaxAgeSeconds - Math.floor(Date.now() / 1000) < 60) {
    throw unauthorized('the session has reached its maximum age (GANTRY_SESSION_MAX_AGE): log in again');
  }
  const { organization_canonical: parent, child_canonical: child } = query;
  if (child && !parent) throw unprocessable('query: child_canonical needs organization_canonical');
  if (!parent) {
    const current = actor?.organizationId
      ? await env.db
          .selectFrom('organizations')
          .select('canonical')
          .where('id', '=', actor.organizationId)
          .executeTakeFirst()
      : undefined;
    return openSession(env, env.db, user, current?.canonical, authTime, actor?.sessionId);
  }
  const session = await openSession(env, env.db, user, parent, authTime, actor?.sessionId);
  if (!child) return session;
  const chain = await organizationChain(env.db, child);
  if (!chain?.slice(1).some((o) => o.canonical === parent)) {
    throw notFound(`organization '${child}' under '${parent}'`);
  }
  return openSession(env, env.db, user, child, authTime, actor?.sessionId);
}
