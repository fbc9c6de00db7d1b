import type { Access } from '../../platform/authz/access.js';
import { type RuleRow, rulesOf } from '../../platform/authz/role-rows.js';
import { type RuleSpec, rulesCover } from '../../platform/authz/rules.js';
import { permittedCanonicals } from '../../platform/authz/visibility.js';
import { canonicalFromName } from '../../platform/canonical.js';
import { isSet } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { conflict, forbidden, notFound, unprocessable } from '../../platform/errors.js';
import { emptyPage, fetchPage, Page, type Paging } from '../../platform/http/paging.js';
import { demandWithinLimit, orgScope } from '../../platform/limits.js';
import * as repo from './repo.js';
import { type RuleInput, validateRules } from './rules.js';

export interface RoleInput {
  name: string;
  canonical?: string;
  description?: string;
  rules: RuleInput[];
}

/** A role with its rules, as read from the database. */
export interface RoleView {
  role: repo.RoleRow;
  rules: RuleRow[];
}

async function withRules(db: DbHandle, roles: repo.RoleRow[]): Promise<RoleView[]> {
  const rules = await rulesOf(
    db,
    roles.map((r) => r.id),
  );
  return roles.map((role) => ({ role, rules: rules.get(role.id) ?? [] }));
}

export async function listRoles(db: DbHandle, access: Access, paging: Paging): Promise<Page<RoleView>> {
  const orgId = access.organization.id;
  const scope = await permittedCanonicals(access, 'organization:role:list', () => repo.roleCanonicals(db, orgId));
  if (scope !== 'all' && scope.length === 0) return emptyPage(paging);
  const page = await fetchPage(repo.rolesQuery(db, orgId, scope === 'all' ? undefined : scope), paging);
  return new Page(await withRules(db, page.items), page.total, page.paging);
}

export async function getRole(db: DbHandle, organizationId: number, canonical: string): Promise<RoleView> {
  const role = await repo.findRole(db, organizationId, canonical);
  if (!role) throw notFound(`role '${canonical}'`);
  return (await withRules(db, [role]))[0];
}

/**
 * Rules the caller hands out must be within its own rights: whoever may edit roles must not be able
 * to mint a role broader than itself (assigning it is then the only step left to escalate).
 */
function checkGrantable(access: Access, rules: readonly RuleSpec[]): void {
  for (const rule of rules) {
    if (!rulesCover(access.rules, rule)) {
      const scope = rule.resources.length > 0 ? ` on ${rule.resources.join(', ')}` : '';
      throw forbidden(`you cannot grant '${rule.action}'${scope}: it exceeds your own rights`);
    }
  }
}

export async function createRole(
  db: DbHandle,
  access: Access,
  input: RoleInput,
): Promise<{ role: repo.RoleRow; rules: RuleSpec[] }> {
  const org = access.organization;
  checkText(input);
  const rules = validateRules(input.rules, org.canonical);
  checkGrantable(access, rules);
  const canonical = input.canonical ?? canonicalFromName(input.name);
  await demandWithinLimit(db, 'rolesPerOrg', orgScope(access));
  if (await repo.findRole(db, org.id, canonical)) {
    throw conflict(`a role with canonical '${canonical}' already exists in organization '${org.canonical}'`);
  }
  const role = await repo.insertRole(db, org.id, { canonical, name: input.name, description: input.description ?? '' });
  await repo.replaceRules(db, role.id, rules);
  return { role, rules };
}

const MAX_DESCRIPTION = 2000;

function checkText(input: RoleInput): void {
  if (input.name.trim().length < 3) throw unprocessable('name: must have at least 3 non-blank characters');
  if ((input.description ?? '').length > MAX_DESCRIPTION) {
    throw unprocessable(`description: must be at most ${MAX_DESCRIPTION} characters`);
  }
}

function refuseBuiltin(role: repo.RoleRow, verb: string): void {
  if (isSet(role.is_default)) {
    throw unprocessable(`role '${role.canonical}' is built in and cannot be ${verb}; create a custom role instead`);
  }
}

/** Replaces name, description and every rule; a rule list that omits resources clears the old scoping. */
export async function updateRole(db: DbHandle, access: Access, canonical: string, input: RoleInput): Promise<RoleView> {
  const org = access.organization;
  const existing = await repo.findRole(db, org.id, canonical);
  if (!existing) throw notFound(`role '${canonical}'`);
  refuseBuiltin(existing, 'changed');
  if (input.canonical !== undefined && input.canonical !== canonical) {
    throw unprocessable(`canonical: a role's canonical cannot be changed (is '${canonical}')`);
  }
  checkText(input);
  const rules = validateRules(input.rules, org.canonical);
  checkGrantable(access, rules);
  const role = await repo.updateRoleRow(db, existing.id, { name: input.name, description: input.description ?? '' });
  await repo.replaceRules(db, role.id, rules);
  return (await withRules(db, [role]))[0];
}

export async function deleteRole(db: DbHandle, organizationId: number, canonical: string): Promise<void> {
  const role = await repo.findRole(db, organizationId, canonical);
  if (!role) throw notFound(`role '${canonical}'`);
  refuseBuiltin(role, 'deleted');
  const usage = await repo.roleUsage(db, role.id);
  if (usage.members > 0 || usage.teams > 0) {
    const holders = [
      usage.members > 0 ? `${usage.members} member${usage.members === 1 ? '' : 's'}` : '',
      usage.teams > 0 ? `${usage.teams} team${usage.teams === 1 ? '' : 's'}` : '',
    ].filter(Boolean);
    throw conflict(
      `role '${canonical}' is still used by ${holders.join(' and ')}; give them another role first (pending invitations count as members)`,
    );
  }
  await repo.deleteRoleRow(db, role.id);
}
