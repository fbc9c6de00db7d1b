import { ADMIN_ROLE } from '../../platform/authz/builtin-roles.js';
import { accepted } from '../../platform/authz/memberships.js';
import { hashPassword, randomToken } from '../../platform/crypto/hashing.js';
import { flag } from '../../platform/db/columns.js';
import type { Db, DbHandle } from '../../platform/db/database.js';
import { conflict, notFound, unprocessable } from '../../platform/errors.js';
import { createApiKey } from '../api-keys/service.js';
import { insertAcceptedMember } from '../members/repo.js';
import { assertPasswordAcceptable } from './password-policy.js';
import { findUserByEmail, findUserByUsername, insertUser } from './repo.js';
import { recordSystemEvent } from './system-events.js';

/**
 * Operator commands (`gantry admin ...`): they act with the database directly, as the operator of the
 * machine, so they need no session. Errors are AppErrors the command line prints as messages.
 */

async function organizationByCanonical(db: DbHandle, canonical: string) {
  const org = await db
    .selectFrom('organizations')
    .select(['id', 'canonical'])
    .where('canonical', '=', canonical)
    .executeTakeFirst();
  if (!org) throw notFound(`organization '${canonical}'`);
  return org;
}

/** The organization's longest-standing admin, who owns keys made on the command line. */
async function firstAdminOf(db: DbHandle, organizationId: number): Promise<number | null> {
  const row = await db
    .selectFrom('memberships')
    .innerJoin('roles', 'roles.id', 'memberships.role_id')
    .select('memberships.user_id')
    .where('memberships.organization_id', '=', organizationId)
    .where('roles.canonical', '=', ADMIN_ROLE)
    .where('memberships.user_id', 'is not', null)
    .where(accepted)
    .orderBy('memberships.id')
    .executeTakeFirst();
  return row?.user_id ?? null;
}

export interface AdminApiKey {
  organization: string;
  canonical: string;
  token: string;
  readonly: boolean;
}

/** A full-admin key of the organization (read-only if asked), owned by its first admin. */
export async function createAdminApiKey(
  db: Db,
  input: { organization: string; name?: string; readonly: boolean },
): Promise<AdminApiKey> {
  const org = await organizationByCanonical(db, input.organization);
  const owner = await firstAdminOf(db, org.id);
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const key = await db.transaction().execute(async (trx) => {
    const created = await createApiKey(trx, {
      organizationId: org.id,
      name: input.name ?? `cli-${stamp}`,
      ownerUserId: owner,
      createdBy: owner,
      rules: [{ action: 'organization:**', resources: [] }],
      readonly: input.readonly,
    });
    await recordSystemEvent(trx, org.id, 'organization:api_key:create', `api_key:${created.canonical}`, 'command line');
    return created;
  });
  return { organization: org.canonical, canonical: key.canonical, token: key.token, readonly: input.readonly };
}

export interface AdminUserInput {
  email: string;
  username: string;
  password?: string;
  organization?: string;
  role?: string;
  givenName?: string;
  familyName?: string;
}

/**
 * A verified account, optionally a member of one organization with one of its roles. Returns the
 * password when it was generated.
 */
export async function createUserAccount(db: Db, input: AdminUserInput): Promise<{ generatedPassword?: string }> {
  const email = input.email.toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
    throw unprocessable(`--email: '${input.email}' is not an email address`);
  if (!/^[a-z0-9]+[a-z0-9\-_]+[a-z0-9]+$/.test(input.username) || input.username.length > 100) {
    throw unprocessable(`--username: '${input.username}' must be 3-100 lowercase letters, digits, '-' or '_'`);
  }
  const password = input.password ?? randomToken(12);
  assertPasswordAcceptable('--password', password, { username: input.username, email });
  if (await findUserByUsername(db, input.username)) throw conflict(`--username: '${input.username}' is already taken`);
  if (await findUserByEmail(db, email)) throw conflict(`--email: '${email}' is already registered`);
  const passwordHash = await hashPassword(password);

  await db.transaction().execute(async (trx) => {
    const user = await insertUser(trx, {
      username: input.username,
      email,
      password_hash: passwordHash,
      given_name: input.givenName ?? input.username,
      family_name: input.familyName ?? 'User',
      locale: 'en',
      country_code: null,
      picture_url: null,
      mfa_enabled: 0,
      email_verified: flag(true),
    });
    if (!input.organization) return;
    const org = await organizationByCanonical(trx, input.organization);
    const roleCanonical = input.role ?? 'organization-member';
    const role = await trx
      .selectFrom('roles')
      .select('id')
      .where('organization_id', '=', org.id)
      .where('canonical', '=', roleCanonical)
      .executeTakeFirst();
    if (!role) throw notFound(`role '${roleCanonical}' in organization '${org.canonical}'`);
    await insertAcceptedMember(trx, { organizationId: org.id, userId: user.id, roleId: role.id });
    await recordSystemEvent(trx, org.id, 'organization:member:create', `member:${user.username}`, 'command line');
  });
  return input.password ? {} : { generatedPassword: password };
}
