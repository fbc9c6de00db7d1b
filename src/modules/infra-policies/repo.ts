import type { DbHandle } from '../../platform/db/database.js';
import { prepared } from '../../platform/db/prepared.js';
import { OWNER_COLUMNS } from '../../platform/ownership/present.js';

/** Infra policies of one organization with their owner's user fields (one row per policy). */
export function infraPolicyQuery(db: DbHandle, organizationId: number) {
  return db
    .selectFrom('infra_policies')
    .leftJoin('users as owner', 'owner.id', 'infra_policies.owner_user_id')
    .where('infra_policies.organization_id', '=', organizationId)
    .select([
      'infra_policies.id',
      'infra_policies.canonical',
      'infra_policies.name',
      'infra_policies.description',
      'infra_policies.body',
      'infra_policies.severity',
      'infra_policies.enabled',
      'infra_policies.owner_user_id',
      'infra_policies.created_at',
      'infra_policies.updated_at',
      ...OWNER_COLUMNS,
    ]);
}

export type InfraPolicyRow = Awaited<ReturnType<ReturnType<typeof infraPolicyQuery>['executeTakeFirstOrThrow']>>;

const byCanonical = prepared((db, p: { org: number; canonical: string }) =>
  infraPolicyQuery(db, p.org).where('infra_policies.canonical', '=', p.canonical),
);

export function findInfraPolicy(
  db: DbHandle,
  organizationId: number,
  canonical: string,
): Promise<InfraPolicyRow | undefined> {
  return byCanonical.first(db, { org: organizationId, canonical });
}

/** The policies a validation evaluates: the enabled ones, in canonical order (a stable report). */
export function enabledInfraPolicies(db: DbHandle, organizationId: number): Promise<InfraPolicyRow[]> {
  return infraPolicyQuery(db, organizationId)
    .where('infra_policies.enabled', '=', 1)
    .orderBy('infra_policies.canonical')
    .execute();
}

export async function infraPolicyCanonicalTaken(
  db: DbHandle,
  organizationId: number,
  canonical: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('infra_policies')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('canonical', '=', canonical)
    .executeTakeFirst();
  return row !== undefined;
}
