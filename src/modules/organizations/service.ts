import type { Access, OrgRef } from '../../platform/authz/access.js';
import { ADMIN_ROLE, BUILTIN_ROLES } from '../../platform/authz/builtin-roles.js';
import { isKnownAction } from '../../platform/authz/policies.js';
import { rulesOf } from '../../platform/authz/role-rows.js';
import { permittedCanonicals } from '../../platform/authz/visibility.js';
import { canonicalFromName } from '../../platform/canonical.js';
import { flag, nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { conflict, forbidden, notFound, unprocessable } from '../../platform/errors.js';
import type { Actor } from '../../platform/http/auth.js';
import type { OrderBy } from '../../platform/http/ordering.js';
import { emptyPage, fetchPage, Page, type Paging } from '../../platform/http/paging.js';
import { demandWithinLimit, orgScope } from '../../platform/limits.js';
import { ownerOnPath } from '../../platform/ownership/lookups.js';
import { insertBuiltinVault } from '../credentials/builtin.js';
import { insertAcceptedMember } from '../members/repo.js';
import type { RoleView } from '../roles/service.js';
import type { OrgView } from './present.js';
import * as repo from './repo.js';
import { SUMMARY_COUNTERS } from './summary.js';

export interface NewOrganizationInput {
  canonical: string;
  name: string;
  parentId: number | null;
  /** The user who becomes the organization's first admin (null for children: parents' admins reach them). */
  adminUserId: number | null;
  isRoot?: boolean;
}

/**
 * Creates an organization with its built-in roles and, when given, its first admin. Call it inside a
 * transaction: the organization is either complete or absent.
 */
export async function createOrganization(db: DbHandle, input: NewOrganizationInput) {
  const now = nowSeconds();
  const org = await db
    .insertInto('organizations')
    .values({
      canonical: input.canonical,
      name: input.name,
      parent_id: input.parentId,
      is_root: input.isRoot ? 1 : 0,
      mfa_enabled: 0,
      quotas: 0,
      can_children_create_appearance: 0,
      can_children_use_dedicated_authentication: 0,
      is_using_dedicated_authentication: 0,
      created_at: now,
      updated_at: now,
    })
    .returning(['id', 'canonical', 'name', 'parent_id'])
    .executeTakeFirstOrThrow();

  let adminRoleId = 0;
  for (const role of BUILTIN_ROLES) {
    const row = await db
      .insertInto('roles')
      .values({
        organization_id: org.id,
        canonical: role.canonical,
        name: role.name,
        description: role.description,
        is_default: 1,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (role.canonical === ADMIN_ROLE) adminRoleId = row.id;
    if (role.rules.length > 0) {
      await db
        .insertInto('role_rules')
        .values(
          role.rules.map((rule) => ({
            role_id: row.id,
            action: rule.action,
            effect: 'allow',
            resources: JSON.stringify(rule.resources),
          })),
        )
        .execute();
    }
  }

  await insertBuiltinVault(db, org.id);
  if (input.adminUserId !== null) {
    await insertAcceptedMember(db, { organizationId: org.id, userId: input.adminUserId, roleId: adminRoleId });
  }
  return org;
}

/* ---------------------------------------------------------------------------------------------- */

/** Deeper trees than this are refused: breadcrumbs and access resolution walk the whole chain. */
export const MAX_DEPTH = 32;

export interface OrgInput {
  name: string;
  canonical?: string;
}

/** The column holds 200 characters; the contract only sets a minimum. */
export function checkOrgName(name: string): void {
  if (name.trim().length < 3) throw unprocessable('name: must have at least 3 non-blank characters');
  if (name.length > 200) throw unprocessable('name: must be at most 200 characters');
}

async function claimCanonical(db: DbHandle, input: OrgInput): Promise<string> {
  checkOrgName(input.name);
  const canonical = input.canonical ?? canonicalFromName(input.name);
  if (await repo.findOrgByCanonical(db, canonical)) {
    throw conflict(
      `canonical: an organization '${canonical}' already exists${input.canonical ? '' : ' (derived from the name; send a canonical)'}`,
    );
  }
  return canonical;
}

/** A root-level organization; its creator becomes its first admin. */
export async function createRootOrganization(db: DbHandle, actor: Actor, input: OrgInput): Promise<repo.OrgRow> {
  if (actor.kind !== 'user' || actor.userId === null) {
    throw forbidden('only users can create organizations; an API key acts inside its own organization only');
  }
  const canonical = await claimCanonical(db, input);
  await demandWithinLimit(db, 'organizationsPerUser', { id: actor.userId, label: `user '${actor.username}'` });
  const org = await createOrganization(db, { canonical, name: input.name, parentId: null, adminUserId: actor.userId });
  return (await repo.findOrgByCanonical(db, org.canonical)) as repo.OrgRow;
}

/**
 * A child organization. Nobody becomes its member: the parent's members reach it through the parent,
 * with the rights they hold there.
 */
export async function createChildOrganization(db: DbHandle, parent: Access, input: OrgInput): Promise<repo.OrgRow> {
  if (parent.chain.length >= MAX_DEPTH) {
    throw unprocessable(
      `organization '${parent.organization.canonical}' is ${MAX_DEPTH} levels deep: no more children`,
    );
  }
  const canonical = await claimCanonical(db, input);
  await demandWithinLimit(db, 'childrenPerOrg', orgScope(parent));
  const org = await createOrganization(db, {
    canonical,
    name: input.name,
    parentId: parent.organization.id,
    adminUserId: null,
  });
  return (await repo.findOrgByCanonical(db, org.canonical)) as repo.OrgRow;
}

export async function getOrganization(db: DbHandle, canonical: string): Promise<repo.OrgRow> {
  const row = await repo.findOrgByCanonical(db, canonical);
  if (!row) throw notFound(`organization '${canonical}'`);
  return row;
}

/** Loads what the Organization presenter needs for several rows with a fixed number of queries. */
export async function organizationViews(db: DbHandle, rows: readonly repo.OrgRow[]): Promise<OrgView[]> {
  const ids = rows.map((r) => r.id);
  const [children, inherited, admins] = await Promise.all([
    repo.withChildren(db, ids),
    repo.inheritedFlags(db, ids),
    repo.adminsOf(db, ids),
  ]);
  const adminRoleIds = [...new Set(admins.map((a) => a.role_id))];
  const adminRoles = new Map<number, RoleView>();
  if (adminRoleIds.length > 0) {
    const roleRows = await db.selectFrom('roles').selectAll().where('id', 'in', adminRoleIds).execute();
    const rules = await rulesOf(db, adminRoleIds);
    for (const role of roleRows) adminRoles.set(role.id, { role, rules: rules.get(role.id) ?? [] });
  }
  return rows.map((row) => {
    const own = admins.filter((a) => a.organization_id === row.id);
    return {
      row,
      hasChildren: children.has(row.id),
      inherited: inherited.get(row.id) as repo.InheritedFlags,
      admins: own,
      adminRole: own.length > 0 ? adminRoles.get(own[0].role_id) : undefined,
    };
  });
}

export async function pageOfViews(db: DbHandle, page: Page<repo.OrgRow>): Promise<Page<OrgView>> {
  return new Page(await organizationViews(db, page.items), page.total, page.paging);
}

export function listVisibleOrganizations(
  db: DbHandle,
  actor: Actor,
  filters: repo.OrgFilters,
  orderBy: readonly OrderBy[],
  paging: Paging,
): Promise<Page<repo.OrgRow>> {
  return fetchPage(repo.filterAndOrder(repo.visibleOrganizationsQuery(db, actor), filters, orderBy), paging);
}

export async function listChildren(
  db: DbHandle,
  access: Access,
  filters: repo.OrgFilters,
  orderBy: readonly OrderBy[],
  paging: Paging,
): Promise<Page<repo.OrgRow>> {
  const parentId = access.organization.id;
  const scope = await permittedCanonicals(access, 'organization:children:read', () =>
    repo.childCanonicals(db, parentId),
  );
  if (scope !== 'all' && scope.length === 0) return emptyPage(paging);
  const query = repo.childrenQuery(db, parentId, scope === 'all' ? undefined : scope);
  return fetchPage(repo.filterAndOrder(query, filters, orderBy), paging);
}

export interface OrgUpdate {
  name: string;
  mfa_enabled?: boolean;
  quotas?: boolean;
  can_children_create_appearance?: boolean;
  can_children_use_dedicated_authentication?: boolean;
  is_using_dedicated_authentication?: boolean;
}

/** Name and feature flags; a flag left out keeps its value. */
export async function updateOrganization(db: DbHandle, organizationId: number, input: OrgUpdate): Promise<repo.OrgRow> {
  checkOrgName(input.name);
  const inherited = (await repo.inheritedFlags(db, [organizationId])).get(organizationId) as repo.InheritedFlags;
  if (input.is_using_dedicated_authentication && !inherited.canUseDedicatedAuthentication) {
    throw unprocessable(
      'is_using_dedicated_authentication: a parent organization does not let this organization use dedicated authentication',
    );
  }
  const optional = (value: boolean | undefined) => (value === undefined ? undefined : flag(value));
  const row = await repo.updateOrgRow(db, organizationId, {
    name: input.name,
    mfa_enabled: optional(input.mfa_enabled),
    quotas: optional(input.quotas),
    can_children_create_appearance: optional(input.can_children_create_appearance),
    can_children_use_dedicated_authentication: optional(input.can_children_use_dedicated_authentication),
    is_using_dedicated_authentication: optional(input.is_using_dedicated_authentication),
  });
  if (input.can_children_use_dedicated_authentication === false) {
    await repo.stopChildrenDedicatedAuthentication(db, organizationId);
  }
  return row;
}

/** Refused while children or projects remain; otherwise everything under the organization goes with it. */
export async function deleteOrganization(db: DbHandle, organization: OrgRef): Promise<void> {
  const children = await repo.countChildren(db, organization.id);
  if (children > 0) {
    throw conflict(
      `organization '${organization.canonical}' still has ${children} child organization${children === 1 ? '' : 's'}; delete ${children === 1 ? 'it' : 'them'} first`,
    );
  }
  const projects = await SUMMARY_COUNTERS.projects(db, organization.id);
  if (projects > 0) {
    throw conflict(
      `organization '${organization.canonical}' still has ${projects} project${projects === 1 ? '' : 's'}; delete them first`,
    );
  }
  await repo.deleteOrgRow(db, organization.id);
}

/**
 * Breadcrumbs: the chain from the nearest organization where the caller actually stands (a
 * membership, its API key's organization, or the organization its session was opened into) down to
 * the requested one, root-most first.
 */
export async function ancestorsOf(db: DbHandle, access: Access): Promise<repo.OrgRow[]> {
  const { actor, chain } = access;
  const anchors =
    actor.kind === 'user' && actor.userId !== null
      ? await repo.memberOrganizationIds(
          db,
          actor.userId,
          chain.map((o) => o.id),
        )
      : new Set<number>();
  if (actor.organizationId !== null) anchors.add(actor.organizationId);
  const nearest = chain.findIndex((o) => anchors.has(o.id));
  const path = chain.slice(0, nearest === -1 ? chain.length : nearest + 1).reverse();
  const rows = new Map(
    (
      await repo.findOrgsByIds(
        db,
        path.map((o) => o.id),
      )
    ).map((r) => [r.id, r]),
  );
  return path.map((o) => rows.get(o.id)).filter((r): r is repo.OrgRow => r !== undefined);
}

/**
 * Answers "may the caller do `action` on these entities?" with the enforcement engine itself: the
 * same `Access.can` the authorizer runs, including ownership of the entity.
 */
export async function canDo(
  db: DbHandle,
  access: Access,
  action: string,
  entities: readonly string[],
): Promise<boolean> {
  if (!isKnownAction(action)) {
    throw unprocessable(
      `action: '${action}' is not a known action code; ask about one concrete code from GET /organizations/{org}/policies`,
    );
  }
  const depth = action.split(':').length - 2;
  if (entities.length > depth) {
    throw unprocessable(
      `entity_canonicals: '${action}' takes at most ${depth} canonical${depth === 1 ? '' : 's'} after the organization, got ${entities.length}`,
    );
  }
  const owner = await ownerOnPath(db, access.organization.id, action, entities);
  return access.can(action, entities, owner);
}
