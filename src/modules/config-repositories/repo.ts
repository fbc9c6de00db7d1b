import type { DbHandle } from '../../platform/db/database.js';
import { prepared } from '../../platform/db/prepared.js';

/** Config repositories of an organization with their credential's canonical. */
export function configRepositoryQuery(db: DbHandle, organizationId: number) {
  return db
    .selectFrom('config_repositories')
    .innerJoin('credentials', 'credentials.id', 'config_repositories.credential_id')
    .where('config_repositories.organization_id', '=', organizationId)
    .select([
      'config_repositories.id',
      'config_repositories.organization_id',
      'config_repositories.canonical',
      'config_repositories.name',
      'config_repositories.url',
      'config_repositories.branch',
      'config_repositories.credential_id',
      'config_repositories.is_default',
      'config_repositories.owner_user_id',
      'config_repositories.created_at',
      'config_repositories.updated_at',
      'credentials.canonical as credential_canonical',
    ]);
}

export type ConfigRepositoryRow = Awaited<
  ReturnType<ReturnType<typeof configRepositoryQuery>['executeTakeFirstOrThrow']>
>;

const byCanonical = prepared((db, p: { org: number; canonical: string }) =>
  configRepositoryQuery(db, p.org).where('config_repositories.canonical', '=', p.canonical),
);

export function findConfigRepository(
  db: DbHandle,
  organizationId: number,
  canonical: string,
): Promise<ConfigRepositoryRow | undefined> {
  return byCanonical.first(db, { org: organizationId, canonical });
}

/** Canonicals of the projects committing to a config repository: what blocks its deletion. */
export async function projectsUsing(db: DbHandle, configRepositoryId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('projects')
    .select('canonical')
    .where('config_repository_id', '=', configRepositoryId)
    .orderBy('canonical')
    .execute();
  return rows.map((r) => r.canonical);
}

/** Whether the organization has any config repository yet (its first one becomes the default). */
export async function hasConfigRepository(db: DbHandle, organizationId: number): Promise<boolean> {
  const row = await db
    .selectFrom('config_repositories')
    .select('id')
    .where('organization_id', '=', organizationId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Clears the default flag of the organization's default, except on `keepId`. */
export async function clearDefault(db: DbHandle, organizationId: number, keepId = 0): Promise<void> {
  await db
    .updateTable('config_repositories')
    .set({ is_default: 0 })
    .where('organization_id', '=', organizationId)
    .where('is_default', '=', 1)
    .where('id', '!=', keepId)
    .execute();
}
