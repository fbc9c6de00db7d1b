import type { components } from '../../generated/contract.js';
import { hashPassword, verifyPassword } from '../../platform/crypto/hashing.js';
import { flag, isSet } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { conflict, notFound, unauthorized, unprocessable } from '../../platform/errors.js';
import { RATE_LIMITS, rateKey } from '../../platform/http/rate-limit.js';
import type { CallInfo, UsersEnv } from './context.js';
import { joinByInvitation } from './invitations.js';
import { addressChangedMail, deliver, passwordResetMail, verificationMail } from './mails.js';
import { assertPasswordAcceptable } from './password-policy.js';
import { countryName, presentAccount } from './present.js';
import * as repo from './repo.js';
import { consumeUserToken, issueUserToken, peekUserToken, revokeUserTokens } from './tokens.js';

type NewUserAccount = components['schemas']['NewUserAccount'];
type UpdateUserAccount = components['schemas']['UpdateUserAccount'];
type UserAccount = components['schemas']['UserAccount'];

const GUIDE_MAX_BYTES = 64 * 1024;

function checkCountry(field: string, code: string | undefined): void {
  if (code && !countryName(code)) throw unprocessable(`${field}: '${code}' is not a known country code`);
}

async function assertFree(db: DbHandle, fields: { username?: string; email?: string }, exceptUserId?: number) {
  if (fields.username) {
    const taken = await repo.findUserByUsername(db, fields.username);
    if (taken && taken.id !== exceptUserId) throw conflict(`username: '${fields.username}' is already taken`);
  }
  if (fields.email) {
    const taken = await repo.findUserByEmail(db, fields.email);
    if (taken && taken.id !== exceptUserId) throw conflict(`email: '${fields.email}' is already registered`);
  }
}

/**
 * Creates an account with an unverified address and mails the verification link. With an invitation
 * token the user also joins the inviting organization, all in one transaction; an invitation sent to
 * the same address proves it, so no verification mail is needed then.
 */
export async function signUp(env: UsersEnv, input: NewUserAccount, call: CallInfo): Promise<void> {
  await env.limiter.consume(`signup:ip:${call.ip}`, RATE_LIMITS.signUpsPerIp);
  const email = input.email.toLowerCase();
  assertPasswordAcceptable('body.password', input.password, { username: input.username, email });
  checkCountry('body.country_code', input.country_code);
  await assertFree(env.db, { username: input.username, email });
  const passwordHash = await hashPassword(input.password);

  const outcome = await env.db.transaction().execute(async (trx) => {
    const user = await repo.insertUser(trx, {
      username: input.username,
      email,
      password_hash: passwordHash,
      given_name: input.given_name,
      family_name: input.family_name,
      locale: input.locale ?? 'en',
      country_code: input.country_code ?? null,
      picture_url: null,
      mfa_enabled: 0,
      email_verified: 0,
    });
    if (input.invitation_token) {
      const joined = await joinByInvitation(trx, user, input.invitation_token);
      if (joined.emailProven) {
        await repo.updateUser(trx, user.id, { email_verified: flag(true) });
        return { verificationToken: undefined };
      }
    }
    return { verificationToken: await issueUserToken(trx, user.id, 'email_verification') };
  });
  if (outcome.verificationToken) {
    await deliver(env.mailer, env.log, verificationMail(email, call.baseUrl, outcome.verificationToken));
  }
}

/**
 * Counts a mail request against the address and the client, then does the work in the background, so
 * neither the answer nor its timing tells whether the address has an account.
 */
async function mailRequest(env: UsersEnv, scope: string, email: string, call: CallInfo, work: () => Promise<void>) {
  await env.limiter.consume(`${scope}:ip:${call.ip}`, RATE_LIMITS.mailRequestsPerIp);
  await env.limiter.consume(rateKey(`${scope}:id`, email), RATE_LIMITS.mailRequestsPerIdentity);
  work().catch((error: Error) => env.log.error({ err: { message: error.message } }, `${scope}: request failed`));
}

export async function resendVerification(env: UsersEnv, emailInput: string, call: CallInfo): Promise<void> {
  const email = emailInput.toLowerCase();
  await mailRequest(env, 'verify', email, call, async () => {
    const user = await repo.findUserByEmail(env.db, email);
    if (!user || isSet(user.email_verified)) return;
    const token = await issueUserToken(env.db, user.id, 'email_verification');
    await deliver(env.mailer, env.log, verificationMail(email, call.baseUrl, token));
  });
}

/** Uses a verification token: confirms the address, or switches to the new one it carries. */
export async function verifyEmail(env: UsersEnv, raw: string): Promise<void> {
  await env.db.transaction().execute(async (trx) => {
    const used = await consumeUserToken(trx, raw, ['email_verification', 'email_change']);
    if (used === 'expired') {
      throw unprocessable('the verification token has expired: ask for a new one with POST /user/email/verification');
    }
    if (used === 'unknown') throw notFound('verification token (it may have been used already)');
    if (used.purpose === 'email_verification') {
      await repo.updateUser(trx, used.userId, { email_verified: flag(true) });
      return;
    }
    const email = used.payload.email;
    await assertFree(trx, { email }, used.userId);
    await repo.updateUser(trx, used.userId, { email, email_verified: flag(true) });
    // Reset links went to the old address.
    await revokeUserTokens(trx, used.userId, ['password_reset', 'email_change']);
  });
}

export async function requestPasswordReset(env: UsersEnv, emailInput: string, call: CallInfo): Promise<void> {
  const email = emailInput.toLowerCase();
  await mailRequest(env, 'reset', email, call, async () => {
    const user = await repo.findUserByEmail(env.db, email);
    if (!user) return;
    const token = await env.db.transaction().execute(async (trx) => {
      await revokeUserTokens(trx, user.id, ['password_reset']);
      return issueUserToken(trx, user.id, 'password_reset');
    });
    await deliver(env.mailer, env.log, passwordResetMail(email, call.baseUrl, token));
  });
}

const BAD_RESET_TOKEN = 'the password reset token is invalid, expired or already used';

/**
 * Sets a new password with a mailed token. A bad token is a 401 whatever the reason, so the answer
 * tells nothing about tokens; the password is checked before the token is spent.
 */
export async function resetPassword(env: UsersEnv, input: { token: string; password: string }): Promise<void> {
  const found = await peekUserToken(env.db, input.token, ['password_reset']);
  if (typeof found === 'string') throw unauthorized(BAD_RESET_TOKEN);
  const user = await repo.findUserById(env.db, found.userId);
  if (!user) throw notFound('user');
  assertPasswordAcceptable('body.password', input.password, user);
  const passwordHash = await hashPassword(input.password);
  await env.db.transaction().execute(async (trx) => {
    const used = await consumeUserToken(trx, input.token, ['password_reset']);
    if (typeof used === 'string') throw unauthorized(BAD_RESET_TOKEN);
    await repo.changePasswordHash(trx, user.id, passwordHash);
    // The reset mail reached the address, which proves it.
    await repo.updateUser(trx, user.id, { email_verified: flag(true) });
    await revokeUserTokens(trx, user.id, ['password_reset', 'email_authentication']);
  });
}

/** Only the primary address is kept; a different one is switched to once it is confirmed. */
function requestedEmail(user: repo.UserRow, emails: UpdateUserAccount['emails']): string | undefined {
  if (!emails) return undefined;
  const primaries = emails.filter((e) => e.purpose === 'primary');
  if (primaries.length !== 1 || emails.length !== 1) {
    throw unprocessable('body.emails: give exactly one address, with purpose "primary" (one address per account)');
  }
  const email = primaries[0].email.toLowerCase();
  return email === user.email ? undefined : email;
}

/**
 * Full replace of the account. A password change needs the current password and ends every older
 * session (the caller's too: log in again). A new address becomes the account's once confirmed
 * through the link mailed to it.
 */
export async function updateAccount(
  env: UsersEnv,
  user: repo.UserRow,
  input: UpdateUserAccount,
  call: CallInfo,
): Promise<UserAccount> {
  checkCountry('body.country_code', input.country_code);
  const newEmail = requestedEmail(user, input.emails);
  await assertFree(env.db, { username: input.username, email: newEmail }, user.id);
  // Changes that would let someone holding a stolen session take the account over need the password.
  const sensitive = newEmail
    ? 'changing the email address'
    : isSet(user.mfa_enabled) && !input.mfa_enabled
      ? 'turning MFA off'
      : undefined;
  if (sensitive && !input.password_update) {
    throw unprocessable(
      `body.password_update.current: ${sensitive} needs the current password (send password_update with current, and new equal to it to keep it)`,
    );
  }
  let passwordHash: string | undefined;
  if (input.password_update) {
    const key = rateKey('password:id', String(user.id));
    await env.limiter.ensureBelow(key, RATE_LIMITS.loginFailuresPerIdentity);
    if (!(await verifyPassword(input.password_update.current, user.password_hash))) {
      await env.limiter.consume(key, RATE_LIMITS.loginFailuresPerIdentity);
      throw unprocessable('body.password_update.current: the current password is wrong');
    }
    // `new` equal to `current` only confirms the password (for an email change or turning MFA off).
    if (input.password_update.new !== input.password_update.current) {
      assertPasswordAcceptable('body.password_update.new', input.password_update.new, {
        username: input.username,
        email: user.email,
      });
      passwordHash = await hashPassword(input.password_update.new);
    }
  }

  const { updated, changeToken } = await env.db.transaction().execute(async (trx) => {
    await repo.updateUser(trx, user.id, {
      username: input.username,
      given_name: input.given_name,
      family_name: input.family_name,
      locale: input.locale,
      country_code: input.country_code ?? null,
      picture_url: input.picture_url ?? null,
      mfa_enabled: flag(input.mfa_enabled),
    });
    if (passwordHash) {
      await repo.changePasswordHash(trx, user.id, passwordHash);
      await revokeUserTokens(trx, user.id, ['password_reset']);
    }
    const changeToken = newEmail ? await issueUserToken(trx, user.id, 'email_change', { email: newEmail }) : undefined;
    return { updated: (await repo.findUserById(trx, user.id)) as repo.UserRow, changeToken };
  });
  if (newEmail && changeToken) {
    await deliver(env.mailer, env.log, verificationMail(newEmail, call.baseUrl, changeToken, true));
    await deliver(env.mailer, env.log, addressChangedMail(user.email, newEmail));
  }
  return presentAccount(updated);
}

/** Stores the console's onboarding state; anonymous callers have no account to store it in. */
export async function saveGuide(env: UsersEnv, user: repo.UserRow, guide: unknown): Promise<void> {
  const text = guide === undefined ? null : JSON.stringify(guide);
  if (text && Buffer.byteLength(text) > GUIDE_MAX_BYTES) {
    throw unprocessable(`body: the guide must be at most ${GUIDE_MAX_BYTES / 1024} KiB of JSON`);
  }
  await repo.updateUser(env.db, user.id, { guide: text });
}

/**
 * Deletes the caller's account, refused while it is the last admin of an organization (that
 * organization would be left without anyone able to manage it). Each organization it leaves gets an
 * event; the session dies with the account.
 */
export async function deleteAccount(env: UsersEnv, user: repo.UserRow, call: CallInfo): Promise<void> {
  await env.db.transaction().execute(async (trx) => {
    const memberships = await repo.membershipsOf(trx, user.id);
    // Serializes with concurrent admin changes in those organizations (see members).
    for (const m of memberships) await repo.touchOrganization(trx, m.id);
    const orphaned = await repo.organizationsSolelyAdministeredBy(trx, user.id);
    if (orphaned.length > 0) {
      throw conflict(
        `you are the last admin of organization '${orphaned[0]}': make another member admin or delete the organization first`,
        orphaned.map((o) => `organization '${o}' has no other admin`),
      );
    }
    for (const m of memberships) {
      await call.audit(trx, {
        organizationId: m.id,
        action: 'organization:member:delete',
        target: `member:${user.username}`,
      });
    }
    await repo.deleteUserCompletely(trx, user.id);
  });
}
