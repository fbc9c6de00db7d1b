import type { Access, OrgRef } from '../../platform/authz/access.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { notFound } from '../../platform/errors.js';
import { fetchPage, Page, type Paging } from '../../platform/http/paging.js';
import { presentStack, type StackView } from './present.js';
import { findStack, type StackRow, stackQuery } from './repo.js';
import { demandVisibility, teamInBody } from './sources.js';
import { demandStacksUnused } from './usage.js';

export interface StackFilters {
  service_catalog_own?: boolean;
  service_catalog_template?: boolean;
}

export const stackNotFound = (ref: string) => notFound(`stack '${ref}'`);

/**
 * Stacks an organization may use: its own (but `hidden` ones) and the `shared` stacks of its
 * ancestors; `service_catalog_own` keeps its own, `service_catalog_template` the blueprints.
 */
export async function listStacks(
  db: DbHandle,
  access: Access,
  filters: StackFilters,
  paging: Paging,
): Promise<Page<StackView>> {
  const own = access.organization.id;
  const ancestors = access.chain.slice(1).map((o) => o.id);
  let query = stackQuery(db).where((eb) => {
    const mine = eb.and([
      eb('catalog_stacks.organization_id', '=', own),
      eb('catalog_stacks.visibility', '!=', 'hidden'),
    ]);
    if (filters.service_catalog_own === true || ancestors.length === 0) return mine;
    return eb.or([
      mine,
      eb.and([eb('catalog_stacks.organization_id', 'in', ancestors), eb('catalog_stacks.visibility', '=', 'shared')]),
    ]);
  });
  if (filters.service_catalog_template === true) query = query.where('catalog_stacks.blueprint', '=', 1);
  const page = await fetchPage(query.orderBy('catalog_stacks.canonical').orderBy('catalog_stacks.id'), paging);
  return new Page(page.items.map(presentStack), page.total, page.paging);
}

/**
 * The stack a ref names, when the organization may see it: its own stacks, or an ancestor's shared
 * ones (`forWrite`: its own only). Anything else is a 404, as for a stack that does not exist.
 */
export async function requireStack(db: DbHandle, access: Access, ref: string, forWrite = false): Promise<StackRow> {
  const [orgCanonical, canonical] = ref.split(':') as [string, string];
  const org: OrgRef | undefined = forWrite
    ? access.organization.canonical === orgCanonical
      ? access.organization
      : undefined
    : access.chain.find((o) => o.canonical === orgCanonical);
  const row = org ? await findStack(db, org.id, canonical) : undefined;
  if (!row || (org!.id !== access.organization.id && row.visibility !== 'shared')) throw stackNotFound(ref);
  return row;
}

export function readStack(row: StackRow): StackView {
  return presentStack(row);
}

export async function updateStack(
  db: DbHandle,
  access: Access,
  row: StackRow,
  input: { visibility: string; team_canonical?: string },
): Promise<StackView> {
  const visibility = demandVisibility(input.visibility);
  const teamId = await teamInBody(db, access, input.team_canonical);
  await db
    .updateTable('catalog_stacks')
    .set({ visibility, team_id: teamId, updated_at: nowSeconds() })
    .where('id', '=', row.id)
    .execute();
  return presentStack((await findStack(db, row.organization_id, row.canonical))!);
}

/** Removes a stack from the index (a later refresh finds it again while its files are in the repository). */
export async function deleteStack(db: DbHandle, row: StackRow): Promise<void> {
  await demandStacksUnused(db, [row.id], `stack '${row.organization_canonical}:${row.canonical}'`);
  await db.deleteFrom('catalog_stacks').where('id', '=', row.id).execute();
}
