import { createServer, type Server } from 'node:http';
import { createOrganization } from '../src/modules/organizations/service.js';
import { insertUser } from '../src/modules/users/repo.js';
import type { DatabaseHandle } from '../src/platform/db/database.js';

/** The baseline's body: the same size as `/version`'s, so both targets send as many bytes. */
export const BARE_BODY = JSON.stringify({ data: { branch: 'main', revision: '0123456789abcdef', version: '0.1.0' } });

/** The fastest possible Node server: every benchmark's baseline. */
export function listenBare(): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': BARE_BODY.length });
    res.end(BARE_BODY);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** A verified user through the users repository (password unused: benchmarks sign tokens directly). */
export function benchUser(database: DatabaseHandle, username: string) {
  return insertUser(database.db, {
    username,
    email: `${username}@example.com`,
    password_hash: 'unused',
    given_name: 'Bench',
    family_name: 'User',
    locale: 'en',
    country_code: null,
    picture_url: null,
    mfa_enabled: 0,
    email_verified: 1,
  });
}

/** The `bench` organization administered by `adminUserId`, and the id of its organization-member role. */
export async function benchOrganization(database: DatabaseHandle, adminUserId: number) {
  const db = database.db;
  const org = await db
    .transaction()
    .execute((trx) => createOrganization(trx, { canonical: 'bench', name: 'Bench', parentId: null, adminUserId }));
  const memberRole = await db
    .selectFrom('roles')
    .select('id')
    .where('organization_id', '=', org.id)
    .where('canonical', '=', 'organization-member')
    .executeTakeFirstOrThrow();
  return { org, memberRoleId: memberRole.id };
}
