import { CompiledQuery, type Kysely } from 'kysely';
import type { DbHandle } from './db/database.js';
import type { Database } from './db/schema.js';
import { unprocessable } from './errors.js';

/**
 * Per-tenant limits: how many of a kind of row one organization (or one user) may hold. The defaults
 * are far above what a normal team uses; they exist so that one tenant of a shared install cannot
 * fill the database or make every list slow for the others. Each is a `GANTRY_LIMIT_*` setting.
 */
interface LimitDefinition {
  setting: string;
  fallback: number;
  /** What is counted, as the message says it ("roles"). */
  noun: string;
  /** The row whose lock serializes creations against this limit. */
  scope: 'organizations' | 'users';
  /** The rows the scope holds (one selected column each): counted up to the limit, never further. */
  rows: (db: DbHandle, scopeId: number) => RowsQuery;
}

// Any select of the counted rows; only its compiled SQL and parameters are used.
type RowsQuery = { compile(): { sql: string; parameters: readonly unknown[] } };

/** Rows of a table holding an `organization_id`, in one organization. */
const perOrganization =
  (table: 'roles' | 'api_keys' | 'credentials' | 'teams' | 'memberships' | 'external_backends') =>
  (db: DbHandle, organizationId: number): RowsQuery =>
    db.selectFrom(table).select('id').where('organization_id', '=', organizationId);

export const TENANT_LIMITS = {
  organizationsPerUser: {
    setting: 'GANTRY_LIMIT_ORGANIZATIONS_PER_USER',
    fallback: 100,
    noun: 'top-level organizations',
    scope: 'users',
    // Top-level organizations the user belongs to: creating one makes its creator a member.
    rows: (db, userId) =>
      db
        .selectFrom('memberships')
        .innerJoin('organizations', 'organizations.id', 'memberships.organization_id')
        .select('memberships.id')
        .where('memberships.user_id', '=', userId)
        .where('organizations.parent_id', 'is', null),
  },
  childrenPerOrg: {
    setting: 'GANTRY_LIMIT_CHILDREN_PER_ORG',
    fallback: 1000,
    noun: 'child organizations',
    scope: 'organizations',
    rows: (db, organizationId) => db.selectFrom('organizations').select('id').where('parent_id', '=', organizationId),
  },
  rolesPerOrg: {
    setting: 'GANTRY_LIMIT_ROLES_PER_ORG',
    fallback: 500,
    noun: 'roles (built-in ones included)',
    scope: 'organizations',
    rows: perOrganization('roles'),
  },
  apiKeysPerOrg: {
    setting: 'GANTRY_LIMIT_API_KEYS_PER_ORG',
    fallback: 1000,
    noun: 'API keys',
    scope: 'organizations',
    rows: perOrganization('api_keys'),
  },
  credentialsPerOrg: {
    setting: 'GANTRY_LIMIT_CREDENTIALS_PER_ORG',
    fallback: 2000,
    noun: 'credentials (the built-in vault included)',
    scope: 'organizations',
    rows: perOrganization('credentials'),
  },
  teamsPerOrg: {
    setting: 'GANTRY_LIMIT_TEAMS_PER_ORG',
    fallback: 1000,
    noun: 'teams',
    scope: 'organizations',
    rows: perOrganization('teams'),
  },
  membersPerOrg: {
    setting: 'GANTRY_LIMIT_MEMBERS_PER_ORG',
    fallback: 10_000,
    noun: 'members (pending invitations included)',
    scope: 'organizations',
    rows: perOrganization('memberships'),
  },
  pendingInvitationsPerOrg: {
    setting: 'GANTRY_LIMIT_PENDING_INVITATIONS_PER_ORG',
    fallback: 500,
    noun: 'pending invitations',
    scope: 'organizations',
    rows: (db, organizationId) =>
      db
        .selectFrom('memberships')
        .select('id')
        .where('organization_id', '=', organizationId)
        .where('invitation_state', '=', 'pending'),
  },
  externalBackendsPerOrg: {
    setting: 'GANTRY_LIMIT_EXTERNAL_BACKENDS_PER_ORG',
    fallback: 200,
    noun: 'external backends',
    scope: 'organizations',
    rows: perOrganization('external_backends'),
  },
} satisfies Record<string, LimitDefinition>;

export type TenantLimitName = keyof typeof TENANT_LIMITS;
export type TenantLimits = Record<TenantLimitName, number>;

export const DEFAULT_TENANT_LIMITS = Object.fromEntries(
  Object.entries(TENANT_LIMITS).map(([name, def]) => [name, def.fallback]),
) as TenantLimits;

/** The largest value a limit setting accepts (a billion rows is no limit in practice). */
export const MAX_LIMIT_VALUE = 1_000_000_000;

/**
 * The limits of the install a database handle belongs to. Services receive a handle (often the
 * operation's transaction), not the configuration: the limits are bound to the handle's dialect
 * adapter, which Kysely shares between a database and every transaction opened on it. A handle no
 * install bound (a command-line tool) gets the defaults.
 */
const bound = new WeakMap<object, TenantLimits>();

export function bindTenantLimits(db: Kysely<Database>, limits: TenantLimits): void {
  bound.set(db.getExecutor().adapter, limits);
}

export function tenantLimitsOf(db: DbHandle): TenantLimits {
  return bound.get(db.getExecutor().adapter) ?? DEFAULT_TENANT_LIMITS;
}

/**
 * How many rows the query selects, counting no further than `bound`: the check costs what the limit
 * allows, not what a large scope holds (an organization over its limit, raised limits, old data).
 */
async function countUpTo(db: DbHandle, rows: RowsQuery, bound: number): Promise<number> {
  const inner = rows.compile();
  const result = await db.executeQuery<{ n: number | string | bigint }>(
    CompiledQuery.raw(`select count(*) as n from (${inner.sql} limit ${Math.trunc(bound)}) as counted`, [
      ...inner.parameters,
    ]),
  );
  return Number(result.rows[0]?.n ?? 0);
}

/** The scope of a per-organization limit: the organization of the path. */
export function orgScope(access: { organization: { id: number; canonical: string } }): { id: number; label: string } {
  return { id: access.organization.id, label: `organization '${access.organization.canonical}'` };
}

/**
 * Refuses (422) to add one more row counted by `name` to the scope when it already holds the maximum.
 * Call it in the operation's transaction, before the insert: it first takes the scope row's lock
 * (a no-op update: the row lock on PostgreSQL, the write lock on SQLite), so two concurrent creations
 * cannot both count below the limit and both insert; the second waits for the first to commit and
 * then counts its row. Call it before the operation's first write, so that this lock is always the
 * first one taken: a transaction holding another row's lock while waiting for this one could deadlock
 * with one holding this one and waiting for that row.
 */
export async function demandWithinLimit(
  db: DbHandle,
  names: TenantLimitName | readonly TenantLimitName[],
  scope: { id: number; label: string },
): Promise<void> {
  const limits = tenantLimitsOf(db);
  const locked = new Set<LimitDefinition['scope']>();
  for (const name of typeof names === 'string' ? [names] : names) {
    if (!db.isTransaction) throw new Error(`limit ${name}: check it inside the operation's transaction`);
    const def: LimitDefinition = TENANT_LIMITS[name];
    if (!locked.has(def.scope)) {
      await db
        .updateTable(def.scope)
        .set((eb) => ({ updated_at: eb.ref('updated_at') }))
        .where('id', '=', scope.id)
        .execute();
      locked.add(def.scope);
    }
    const max = limits[name];
    const current = await countUpTo(db, def.rows(db, scope.id), max + 1);
    if (current >= max) {
      const held = current > max ? `more than ${max}` : String(current);
      throw unprocessable(
        `limit reached: ${scope.label} already has ${held} ${def.noun}, the most this server allows (${def.setting}=${max}); delete some or ask the operator to raise it`,
        [`limit: ${def.setting}`],
      );
    }
  }
}
