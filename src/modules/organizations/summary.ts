import { type SelectQueryBuilder, sql } from 'kysely';
import type { components } from '../../generated/contract.js';
import { accepted } from '../../platform/authz/memberships.js';
import type { DbHandle } from '../../platform/db/database.js';

type Summary = components['schemas']['Summary'];
type Counter = (db: DbHandle, organizationId: number) => Promise<number>;

const none: Counter = async () => 0;

/**
 * One counter per Summary field: the single place each count comes from. Modules that bring a new
 * kind of entity (projects, pipelines, credentials, catalogs...) replace their `none` here with a
 * count over their table; `deleteOrg` also reads `projects` to refuse deleting an organization that
 * still has some.
 */
export const SUMMARY_COUNTERS: Record<keyof Summary, Counter> = {
  users: async (db, organizationId) =>
    count(
      db
        .selectFrom('memberships')
        .where('memberships.organization_id', '=', organizationId)
        .where('memberships.user_id', 'is not', null)
        .where(accepted),
    ),
  teams: async (db, organizationId) =>
    count(db.selectFrom('teams').where('teams.organization_id', '=', organizationId)),
  roles: async (db, organizationId) =>
    count(db.selectFrom('roles').where('roles.organization_id', '=', organizationId)),
  projects: async (db, organizationId) =>
    count(db.selectFrom('projects').where('projects.organization_id', '=', organizationId)),
  pipelines: none,
  credentials: async (db, organizationId) =>
    count(db.selectFrom('credentials').where('credentials.organization_id', '=', organizationId)),
  config_repositories: async (db, organizationId) =>
    count(db.selectFrom('config_repositories').where('config_repositories.organization_id', '=', organizationId)),
  service_catalog_sources: none,
  service_catalogs: none,
};

async function count<DB, TB extends keyof DB>(query: SelectQueryBuilder<DB, TB, object>): Promise<number> {
  const row = (await query.select(sql<number | string>`count(*)`.as('n')).executeTakeFirstOrThrow()) as {
    n: number | string;
  };
  return Number(row.n);
}

export async function organizationSummary(db: DbHandle, organizationId: number): Promise<Summary> {
  const entries = await Promise.all(
    Object.entries(SUMMARY_COUNTERS).map(async ([field, counter]) => [field, await counter(db, organizationId)]),
  );
  return Object.fromEntries(entries) as Summary;
}
