import { randomBytes } from 'node:crypto';
import { insertAcceptedMember } from '../../src/modules/members/repo.js';
import { createOrganization } from '../../src/modules/organizations/service.js';
import { insertUser } from '../../src/modules/users/repo.js';
import { issueSessionToken } from '../../src/modules/users/sessions.js';
import { hashPassword } from '../../src/platform/crypto/hashing.js';
import { JwtSigner } from '../../src/platform/crypto/jwt.js';
import { loadSigningKey } from '../../src/platform/crypto/keys.js';
import type { TestServer } from './server.js';

/**
 * Test data written straight to the database of a running test server, so every test file builds its
 * own tenants quickly. Flows that are themselves under test (sign-up, login) go through HTTP instead.
 */
export const FACTORY_PASSWORD = 'correct-horse-battery-staple';
let passwordHash: Promise<string> | undefined;

export interface TestUser {
  id: number;
  username: string;
  email: string;
  password: string;
  token_version: number;
}

export interface TestOrg {
  id: number;
  canonical: string;
  name: string;
}

const unique = () => randomBytes(4).toString('hex');

export async function createUser(
  server: TestServer,
  overrides: Partial<{ username: string; email: string }> = {},
): Promise<TestUser> {
  passwordHash ??= hashPassword(FACTORY_PASSWORD);
  const suffix = unique();
  const username = overrides.username ?? `user-${suffix}`;
  const email = (overrides.email ?? `${username}@example.com`).toLowerCase();
  const row = await insertUser(server.database.db, {
    username,
    email,
    password_hash: await passwordHash,
    given_name: 'Test',
    family_name: 'User',
    locale: 'en',
    country_code: null,
    picture_url: null,
    mfa_enabled: 0,
    email_verified: 1,
  });
  return { id: row.id, username, email, password: FACTORY_PASSWORD, token_version: row.token_version };
}

export async function createOrg(
  server: TestServer,
  admin: TestUser | null,
  options: { canonical?: string; parent?: TestOrg } = {},
): Promise<TestOrg> {
  const canonical = options.canonical ?? `org-${unique()}`;
  return server.database.db.transaction().execute(async (trx) => {
    const org = await createOrganization(trx, {
      canonical,
      name: `Org ${canonical}`,
      parentId: options.parent?.id ?? null,
      adminUserId: admin?.id ?? null,
    });
    return { id: org.id, canonical: org.canonical, name: org.name };
  });
}

/** Adds an existing user to an organization with one of its roles. */
export async function addMember(
  server: TestServer,
  org: TestOrg,
  user: TestUser,
  roleCanonical: string,
): Promise<number> {
  const db = server.database.db;
  const role = await db
    .selectFrom('roles')
    .select('id')
    .where('organization_id', '=', org.id)
    .where('canonical', '=', roleCanonical)
    .executeTakeFirstOrThrow();
  return insertAcceptedMember(db, { organizationId: org.id, userId: user.id, roleId: role.id });
}

/** A session token signed with the server's own key, as login would return it. */
export function sessionToken(server: TestServer, user: TestUser, org?: TestOrg): string {
  const signer = new JwtSigner(loadSigningKey(server.config.dataDir, server.config.jwtSecret));
  return issueSessionToken(signer, 3600, user, org);
}

/** A user who administers a fresh organization, with a token. */
export async function tenant(server: TestServer): Promise<{ user: TestUser; org: TestOrg; token: string }> {
  const user = await createUser(server);
  const org = await createOrg(server, user);
  return { user, org, token: sessionToken(server, user) };
}
