import { type Kysely, sql } from 'kysely';

/**
 * At most one default external backend per organization and purpose, held by the database: two
 * concurrent requests each making a default cannot both win (the second is a 409). Partial unique
 * indexes read the same on SQLite and PostgreSQL. Should an older database hold two defaults, all but
 * the newest are unset first.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    update external_backends set is_default = 0
    where is_default = 1 and exists (
      select 1 from external_backends newer
      where newer.organization_id = external_backends.organization_id
        and newer.purpose = external_backends.purpose
        and newer.is_default = 1 and newer.id > external_backends.id
    )`.execute(db);
  await sql`
    create unique index external_backends_one_default
    on external_backends (organization_id, purpose) where is_default = 1`.execute(db);
}
