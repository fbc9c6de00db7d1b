import { type Config, ConfigError } from '../../config.js';
import { hashPassword, randomToken } from '../../platform/crypto/hashing.js';
import { flag } from '../../platform/db/columns.js';
import type { Db, DbHandle } from '../../platform/db/database.js';
import { createOrganization } from '../organizations/service.js';
import { passwordProblems } from './password-policy.js';
import { insertUser } from './repo.js';
import { recordSystemEvent } from './system-events.js';

export const DEFAULT_ADMIN_EMAIL = 'admin@gantry.local';
export const DEFAULT_ADMIN_ORG = 'main';

export interface FirstAdmin {
  email: string;
  username: string;
  organization: string;
  /** Set only when generated: it must be shown once, since it exists nowhere else. */
  generatedPassword?: string;
}

/** `Jane.Doe+ops@x` -> `jane-doe-ops`; a local part that cannot make a username gives `admin`. */
export function usernameFromEmail(email: string): string {
  const slug = email
    .split('@')[0]
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 100);
  return /^[a-z0-9]+[a-z0-9\-_]+[a-z0-9]+$/.test(slug) ? slug : 'admin';
}

/** `main` -> `Main`, `platform-team` -> `Platform team`. */
export function nameFromCanonical(canonical: string): string {
  const words = canonical.replace(/[-_]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

async function userCount(db: DbHandle): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * On a database without any user, creates the first administrator (email verified) and the root
 * organization they administer, in one transaction. Returns what to tell the operator, or undefined
 * when users already exist (every later start). Replicas starting together on one database: the
 * loser of the race sees the winner's user and does nothing.
 */
export async function ensureFirstAdmin(db: Db, admin: Config['admin']): Promise<FirstAdmin | undefined> {
  if ((await userCount(db)) > 0) return undefined;
  const email = (admin.email ?? DEFAULT_ADMIN_EMAIL).toLowerCase();
  const username = usernameFromEmail(email);
  const organization = admin.organization ?? DEFAULT_ADMIN_ORG;
  if (admin.password) {
    const problems = passwordProblems(admin.password, { username, email });
    if (problems.length > 0) throw new ConfigError(problems.map((p) => `GANTRY_ADMIN_PASSWORD ${p}`));
  }
  const password = admin.password ?? randomToken(12);
  const passwordHash = await hashPassword(password);

  try {
    return await db.transaction().execute(async (trx) => {
      if ((await userCount(trx)) > 0) return undefined;
      const user = await insertUser(trx, {
        username,
        email,
        password_hash: passwordHash,
        given_name: 'Gantry',
        family_name: 'Administrator',
        locale: 'en',
        country_code: null,
        picture_url: null,
        mfa_enabled: 0,
        email_verified: flag(true),
      });
      const org = await createOrganization(trx, {
        canonical: organization,
        name: nameFromCanonical(organization),
        parentId: null,
        adminUserId: user.id,
        isRoot: true,
      });
      await recordSystemEvent(
        trx,
        org.id,
        'organization:create',
        `organization:${organization}`,
        `first start, admin ${username}`,
      );
      return { email, username, organization, ...(admin.password ? {} : { generatedPassword: password }) };
    });
  } catch (error) {
    if ((await userCount(db)) > 0) return undefined;
    throw error;
  }
}

/** What `gantry serve` prints after a first start: how to log in, with a ready command. */
export function firstAdminMessage(url: string, admin: FirstAdmin): string {
  const password = admin.generatedPassword ?? '<your GANTRY_ADMIN_PASSWORD>';
  const body = JSON.stringify({ email: admin.email, password, organization_canonical: admin.organization });
  return [
    'First start: created the administrator and the root organization.',
    `  organization: ${admin.organization}`,
    `  email:        ${admin.email}`,
    `  username:     ${admin.username}`,
    admin.generatedPassword
      ? `  password:     ${admin.generatedPassword}   (generated: shown only this once, change it with PUT /user)`
      : '  password:     the value of GANTRY_ADMIN_PASSWORD',
    '  log in with:',
    `    curl -s -X POST ${url}/user/login -H 'Content-Type: application/json' \\`,
    `      -d '${body}'`,
    `  an API key for automation: gantry admin create-api-key --org ${admin.organization}`,
    '',
  ].join('\n');
}
