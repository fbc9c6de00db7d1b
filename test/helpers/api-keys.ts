import { createApiKey } from '../../src/modules/api-keys/service.js';
import type { RuleSpec } from '../../src/platform/authz/rules.js';
import { nowSeconds } from '../../src/platform/db/columns.js';
import type { TestOrg, TestUser } from './factories.js';
import type { TestServer } from './server.js';

export const FULL_ADMIN: RuleSpec[] = [{ action: 'organization:**', resources: [] }];

/** A custom role written straight to the database (tests of other modules must not depend on roles' API). */
export async function customRole(server: TestServer, org: TestOrg, canonical: string, rules: RuleSpec[]) {
  const db = server.database.db;
  const now = nowSeconds();
  const role = await db
    .insertInto('roles')
    .values({
      organization_id: org.id,
      canonical,
      name: canonical,
      description: '',
      is_default: 0,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (rules.length > 0) {
    await db
      .insertInto('role_rules')
      .values(
        rules.map((r) => ({
          role_id: role.id,
          action: r.action,
          effect: 'allow',
          resources: JSON.stringify(r.resources),
        })),
      )
      .execute();
  }
  return role.id;
}

/** An API key made the way `gantry admin create-api-key` makes one. */
export async function makeApiKey(
  server: TestServer,
  org: TestOrg,
  owner: TestUser | null,
  options: { name?: string; rules?: RuleSpec[]; readonly?: boolean } = {},
) {
  return createApiKey(server.database.db, {
    organizationId: org.id,
    name: options.name ?? `key ${Math.random().toString(36).slice(2, 8)}`,
    ownerUserId: owner?.id ?? null,
    createdBy: owner?.id ?? null,
    rules: options.rules ?? FULL_ADMIN,
    readonly: options.readonly ?? false,
  });
}

/** The audit events recorded in an organization, oldest first, with their tags as an object. */
export async function auditTrail(server: TestServer, organizationId: number) {
  const rows = await server.database.db
    .selectFrom('events')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    ...row,
    tags: Object.fromEntries(
      (JSON.parse(row.tags) as Array<{ key: string; value: string }>).map((t) => [t.key, t.value]),
    ) as Record<string, string>,
  }));
}
