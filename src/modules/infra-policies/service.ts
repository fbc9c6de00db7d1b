import type { Access } from '../../platform/authz/access.js';
import { canSeeAll } from '../../platform/authz/grants.js';
import { canonicalFromName } from '../../platform/canonical.js';
import { flag, nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { applyOrder, containsText, NOTHING } from '../../platform/db/listing.js';
import { canonicalTaken, notFound, unprocessable } from '../../platform/errors.js';
import { type OrderBy, sortableFields } from '../../platform/http/ordering.js';
import { fetchPage, Page, type Paging } from '../../platform/http/paging.js';
import { ownerAfterUpdate, ownerInBody } from '../../platform/ownership/input.js';
import { visibleOwnedIds } from '../../platform/ownership/lookups.js';
import type { PolicyEvaluator } from './evaluation.js';
import { type InfraPolicyView, presentInfraPolicy, type Severity } from './present.js';
import { findInfraPolicy, type InfraPolicyRow, infraPolicyCanonicalTaken, infraPolicyQuery } from './repo.js';

export interface InfraPolicyFilters {
  infra_policy_name?: string;
  infra_policy_created_at?: number;
  infra_policy_severity?: Severity;
  infra_policy_enabled?: boolean;
  infra_policy_canonical?: string;
}

export interface InfraPolicyInput {
  name: string;
  body: string;
  severity: Severity;
  owner: string;
  canonical?: string;
  description?: string;
  enabled?: boolean;
}

export const INFRA_POLICY_SORTABLE = sortableFields('infra_policy', {
  id: 'infra_policies.id',
  name: 'infra_policies.name',
  canonical: 'infra_policies.canonical',
  severity: 'infra_policies.severity',
  enabled: 'infra_policies.enabled',
  created_at: 'infra_policies.created_at',
  updated_at: 'infra_policies.updated_at',
});

/**
 * Longest policy source accepted. Real policies are a few KB; the limit bounds the compile, which runs
 * on a worker before the write's transaction opens.
 */
export const MAX_BODY_CHARACTERS = 64 * 1024;
const MAX_NAME_CHARACTERS = 200;

export const infraPolicyNotFound = (canonical: string) => notFound(`infra policy '${canonical}'`);

/**
 * Checks what the schema cannot, then compiles the body on a policy worker: a policy that does not
 * compile is never saved (it would fail every validation after it). Runs as the operation's `prepare`
 * step, before its transaction, so no lock is held while a worker compiles. Returns the trimmed name.
 */
export async function checkInfraPolicyInput(
  evaluator: PolicyEvaluator,
  canonical: string,
  input: InfraPolicyInput,
): Promise<string> {
  const name = input.name.trim();
  if (name.length < 3) throw unprocessable('name: must have at least 3 characters besides spaces');
  if (name.length > MAX_NAME_CHARACTERS)
    throw unprocessable(`name: must have at most ${MAX_NAME_CHARACTERS} characters`);
  if (input.body.length > MAX_BODY_CHARACTERS) {
    throw unprocessable(`body: must have at most ${MAX_BODY_CHARACTERS} characters, got ${input.body.length}`);
  }
  await evaluator.compile({ canonical, body: input.body });
  return name;
}

async function demandFreeCanonical(db: DbHandle, access: Access, canonical: string): Promise<void> {
  if (await infraPolicyCanonicalTaken(db, access.organization.id, canonical)) {
    throw canonicalTaken('infra policy', canonical, access.organization);
  }
}

async function reread(db: DbHandle, access: Access, canonical: string): Promise<InfraPolicyView> {
  return presentInfraPolicy((await findInfraPolicy(db, access.organization.id, canonical))!);
}

/** The canonical a new policy gets: the given one, or one made from its name. */
export const newPolicyCanonical = (input: InfraPolicyInput) => input.canonical ?? canonicalFromName(input.name);

/** `name` comes from checkInfraPolicyInput (the body compiled, the name trimmed). */
export async function createInfraPolicy(
  db: DbHandle,
  access: Access,
  input: InfraPolicyInput,
  name: string,
): Promise<InfraPolicyView> {
  const canonical = newPolicyCanonical(input);
  await demandFreeCanonical(db, access, canonical);
  const ownerId = await ownerInBody(db, access, input.owner);
  const now = nowSeconds();
  await db
    .insertInto('infra_policies')
    .values({
      organization_id: access.organization.id,
      canonical,
      name,
      description: input.description ?? '',
      body: input.body,
      severity: input.severity,
      enabled: flag(input.enabled ?? false),
      owner_user_id: ownerId,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return reread(db, access, canonical);
}

/** A full replacement (the contract requires every field); the canonical never changes. */
export async function updateInfraPolicy(
  db: DbHandle,
  access: Access,
  current: InfraPolicyRow,
  input: InfraPolicyInput,
  name: string,
): Promise<InfraPolicyView> {
  const ownerId = await ownerAfterUpdate(
    db,
    access,
    current.owner_user_id,
    input.owner,
    `infra policy '${current.canonical}'`,
  );
  await db
    .updateTable('infra_policies')
    .set({
      name,
      description: input.description ?? '',
      body: input.body,
      severity: input.severity,
      enabled: flag(input.enabled),
      owner_user_id: ownerId,
      updated_at: nowSeconds(),
    })
    .where('id', '=', current.id)
    .execute();
  return reread(db, access, current.canonical);
}

export async function deleteInfraPolicy(db: DbHandle, row: InfraPolicyRow): Promise<void> {
  await db.deleteFrom('infra_policies').where('id', '=', row.id).execute();
}

/**
 * Policies the caller may see: all with `list` or `read` over the collection, otherwise those their
 * resource-scoped rules or their ownership reach. Filters, paging and counting stay in SQL.
 */
export async function listInfraPolicies(
  db: DbHandle,
  access: Access,
  filters: InfraPolicyFilters,
  paging: Paging,
  orderBy: OrderBy[],
): Promise<Page<InfraPolicyView>> {
  const orgId = access.organization.id;
  let query = infraPolicyQuery(db, orgId);
  if (!canSeeAll(access, 'organization:infra_policy')) {
    const ids = await visibleOwnedIds(db, 'infra_policies', orgId, (row) =>
      access.can('organization:infra_policy:read', [row.canonical], row.owner_user_id),
    );
    query = ids.length > 0 ? query.where('infra_policies.id', 'in', ids) : query.where(NOTHING);
  }
  if (filters.infra_policy_name !== undefined) {
    query = query.where(containsText('infra_policies.name', filters.infra_policy_name));
  }
  if (filters.infra_policy_created_at !== undefined) {
    query = query.where('infra_policies.created_at', '=', filters.infra_policy_created_at);
  }
  if (filters.infra_policy_severity !== undefined) {
    query = query.where('infra_policies.severity', '=', filters.infra_policy_severity);
  }
  if (filters.infra_policy_enabled !== undefined) {
    query = query.where('infra_policies.enabled', '=', flag(filters.infra_policy_enabled));
  }
  if (filters.infra_policy_canonical !== undefined) {
    query = query.where('infra_policies.canonical', '=', filters.infra_policy_canonical);
  }
  const page = await fetchPage(applyOrder(query, orderBy, 'infra_policies.id'), paging);
  return new Page(page.items.map(presentInfraPolicy), page.total, page.paging);
}
