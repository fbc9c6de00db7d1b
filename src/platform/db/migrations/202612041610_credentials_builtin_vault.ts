import { type Kysely, sql } from 'kysely';

/**
 * Every organization has the built-in credential `vault`, as Cycloid presents the organization's own
 * secret store: existing organizations get it here (unless a credential already holds that canonical
 * or path), new ones when they are created. It seals nothing (`builtin` rows have no sealed value).
 */
// As src/modules/credentials/builtin.ts words them today; a migration keeps its own copy, frozen.
const DESCRIPTION =
  "The organization's own secret store: Gantry seals every credential's secret fields itself. Built in; it cannot be changed or deleted.";
const KEYS = '["engine","sealing"]';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('credentials')
    .addColumn('builtin', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  const now = Math.floor(Date.now() / 1000);
  await sql`
    insert into credentials
      (organization_id, canonical, name, description, type, path, keys, sealed_raw, owner_user_id, builtin,
       created_at, updated_at)
    select o.id, 'vault', 'Vault', ${DESCRIPTION}, 'custom', 'vault', ${KEYS}, '', null, 1,
       ${now}, ${now}
    from organizations o
    where not exists (
      select 1 from credentials c where c.organization_id = o.id and (c.canonical = 'vault' or c.path = 'vault')
    )
  `.execute(db);
}
