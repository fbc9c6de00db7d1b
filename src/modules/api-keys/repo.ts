import { type Selectable, sql } from 'kysely';
import type { RuleSpec } from '../../platform/authz/rules.js';
import type { DbHandle } from '../../platform/db/database.js';
import { prepared } from '../../platform/db/prepared.js';
import type { ApiKeysTable } from '../../platform/db/schema.js';
import { OWNER_COLUMNS, type OwnerColumns } from '../../platform/ownership/present.js';

export type ApiKeyRow = Omit<Selectable<ApiKeysTable>, 'token_hash'>;

export type ApiKeyWithOwner = ApiKeyRow & OwnerColumns;

export interface StoredRule extends RuleSpec {
  id: number;
  api_key_id: number;
}

const KEY_COLUMNS = [
  'api_keys.id',
  'api_keys.organization_id',
  'api_keys.canonical',
  'api_keys.name',
  'api_keys.description',
  'api_keys.owner_user_id',
  'api_keys.created_by',
  'api_keys.prefix',
  'api_keys.last_seven',
  'api_keys.readonly',
  'api_keys.last_used_at',
  'api_keys.expires_at',
  'api_keys.owner_gone_at',
  'api_keys.created_by_key_id',
  'api_keys.created_at',
  'api_keys.updated_at',
] as const;

/** Keys of one organization with their owner, in creation order; callers add filters and paging. */
export function keysOf(db: DbHandle, organizationId: number) {
  return db
    .selectFrom('api_keys')
    .leftJoin('users as owner', 'owner.id', 'api_keys.owner_user_id')
    .select([...KEY_COLUMNS, ...OWNER_COLUMNS])
    .where('api_keys.organization_id', '=', organizationId)
    .orderBy('api_keys.id');
}

export function findKey(db: DbHandle, organizationId: number, canonical: string): Promise<ApiKeyWithOwner | undefined> {
  return keysOf(db, organizationId).where('api_keys.canonical', '=', canonical).executeTakeFirst();
}

export async function rulesOf(db: DbHandle, keyIds: number[]): Promise<Map<number, StoredRule[]>> {
  const byKey = new Map<number, StoredRule[]>(keyIds.map((id) => [id, []]));
  if (keyIds.length === 0) return byKey;
  const rows = await db
    .selectFrom('api_key_rules')
    .select(['id', 'api_key_id', 'action', 'resources'])
    .where('api_key_id', 'in', keyIds)
    .orderBy('id')
    .execute();
  for (const row of rows) {
    byKey.get(row.api_key_id)?.push({ ...row, resources: JSON.parse(row.resources) as string[] });
  }
  return byKey;
}

export async function prefixTaken(db: DbHandle, prefix: string): Promise<boolean> {
  return (await db.selectFrom('api_keys').select('id').where('prefix', '=', prefix).executeTakeFirst()) !== undefined;
}

export async function canonicalTaken(db: DbHandle, organizationId: number, canonical: string): Promise<boolean> {
  const row = await db
    .selectFrom('api_keys')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('canonical', '=', canonical)
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertKey(
  db: DbHandle,
  values: Omit<Selectable<ApiKeysTable>, 'id' | 'last_used_at'>,
  rules: RuleSpec[],
): Promise<number> {
  const { id } = await db
    .insertInto('api_keys')
    .values({ ...values, last_used_at: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (rules.length > 0) {
    await db
      .insertInto('api_key_rules')
      .values(
        rules.map((rule) => ({
          api_key_id: id,
          action: rule.action,
          effect: 'allow',
          resources: JSON.stringify(rule.resources),
        })),
      )
      .execute();
  }
  return id;
}

export async function updateKey(
  db: DbHandle,
  id: number,
  values: {
    name: string;
    description: string;
    owner_user_id: number | null;
    owner_gone_at: number | null;
    expires_at: number | null;
    updated_at: number;
  },
): Promise<void> {
  await db.updateTable('api_keys').set(values).where('id', '=', id).execute();
}

export async function deleteKey(db: DbHandle, id: number): Promise<void> {
  await db.deleteFrom('api_key_rules').where('api_key_id', '=', id).execute();
  await db.deleteFrom('api_keys').where('id', '=', id).execute();
}

export function organizationById(db: DbHandle, id: number) {
  return db.selectFrom('organizations').select(['id', 'canonical']).where('id', '=', id).executeTakeFirst();
}

/** The user behind a membership of the organization (null for pending invitations or unknown ids). */
export async function userOfMembership(db: DbHandle, organizationId: number, membershipId: number) {
  const row = await db
    .selectFrom('memberships')
    .select('user_id')
    .where('id', '=', membershipId)
    .where('organization_id', '=', organizationId)
    .executeTakeFirst();
  return row?.user_id ?? null;
}

/** What the token resolver needs, found by the token's public prefix. */
const byPrefix = prepared((db, p: { prefix: string }) =>
  db
    .selectFrom('api_keys')
    .leftJoin('users as owner', 'owner.id', 'api_keys.owner_user_id')
    .select([
      'api_keys.id',
      'api_keys.organization_id',
      'api_keys.token_hash',
      'api_keys.readonly',
      'api_keys.owner_user_id',
      'api_keys.last_used_at',
      'api_keys.expires_at',
      'api_keys.owner_gone_at',
      'owner.username as owner_username',
    ])
    .where('api_keys.prefix', '=', p.prefix),
);

export function keyByPrefix(db: DbHandle, prefix: string) {
  return byPrefix.first(db, { prefix });
}

/** Conditional, so concurrent requests (or replicas) write at most once per interval. */
export async function touchLastUsed(db: DbHandle, id: number, now: number, intervalSeconds: number): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', now - intervalSeconds)]))
    .execute();
}

/**
 * Whether a key's owner still stands in the key's organization: an accepted member of it or of one of
 * its ancestors (where membership reaches down). Read when a key is resolved (then cached).
 */
export async function ownerStillStands(db: DbHandle, organizationId: number, userId: number): Promise<boolean> {
  const result = await sql<{ found: number }>`
    with recursive chain(id, parent_id, depth) as (
      select id, parent_id, 0 from organizations where id = ${organizationId}
      union all
      select o.id, o.parent_id, c.depth + 1 from organizations o join chain c on o.id = c.parent_id where c.depth < 64
    )
    select 1 as found from memberships m
    where m.user_id = ${userId} and m.organization_id in (select id from chain)
      and (m.invitation_state is null or m.invitation_state = 'accepted')
    limit 1`.execute(db);
  return result.rows.length > 0;
}

/** Part of deleting an account: its keys stop working (until an admin gives them a new owner). */
export async function markOwnerGone(db: DbHandle, userId: number, now: number): Promise<void> {
  await db.updateTable('api_keys').set({ owner_gone_at: now }).where('owner_user_id', '=', userId).execute();
}
