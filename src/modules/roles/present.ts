import type { components } from '../../generated/contract.js';
import type { PolicyDefinition } from '../../platform/authz/policies.js';
import type { RuleRow } from '../../platform/authz/role-rows.js';
import type { RuleSpec } from '../../platform/authz/rules.js';
import { isSet } from '../../platform/db/columns.js';
import type { RoleRow } from './repo.js';

type Role = components['schemas']['Role'];
type Rule = components['schemas']['Rule'];
type NewRole = components['schemas']['NewRole'];
type Policy = components['schemas']['Policy'];

export function presentRule(row: Pick<RuleRow, 'id' | 'action' | 'resources'>): Rule {
  return { id: row.id, action: row.action, effect: 'allow', resources: JSON.parse(row.resources) as string[] };
}

/** A role with its rules, however it was loaded (the roles module's own reads, or a page of members or teams). */
export interface PresentableRole {
  role: Omit<RoleRow, 'organization_id'>;
  rules: Pick<RuleRow, 'id' | 'action' | 'resources'>[];
}

export function presentRole({ role, rules }: PresentableRole): Role {
  return {
    id: role.id,
    canonical: role.canonical,
    name: role.name,
    description: role.description,
    default: isSet(role.is_default),
    rules: rules.map(presentRule),
    created_at: role.created_at,
    updated_at: role.updated_at,
  };
}

/** `createRole` answers the request's own shape (NewRole), as the contract says. */
export function presentNewRole(role: RoleRow, rules: readonly RuleSpec[]): NewRole {
  return {
    canonical: role.canonical,
    name: role.name,
    description: role.description,
    rules: rules.map((rule) => ({ action: rule.action, effect: 'allow', resources: rule.resources })),
  };
}

/** Policy ids are positions in the static catalog (1-based): stable as long as codes are only appended. */
export function presentPolicy(policy: PolicyDefinition, index: number): Policy {
  return { id: index + 1, code: policy.code, description: policy.description, entities: policy.entities };
}
