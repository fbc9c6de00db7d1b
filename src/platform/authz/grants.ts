import { forbidden } from '../errors.js';
import type { Access } from './access.js';
import { rulesCover } from './rules.js';

export interface GrantedRule {
  action: string;
  resources: string[];
}

/**
 * Nobody hands out rights they do not hold: giving a role to a member or a team requires the caller's
 * own rules to cover every rule of that role (the same rule as for API keys). Without it, anyone
 * allowed to invite members or to own a team could promote themselves through a colluding account
 * or by joining their own team.
 */
export function demandGrantable(access: Access, role: { canonical: string; rules: GrantedRule[] }): void {
  for (const rule of role.rules) {
    if (!rulesCover(access.rules, rule)) {
      const scope = rule.resources.length > 0 ? ` on ${rule.resources.join(', ')}` : '';
      throw forbidden(
        `you cannot grant role '${role.canonical}': it allows '${rule.action}'${scope}, which you do not hold`,
      );
    }
  }
}

/**
 * Whether the caller may see a whole collection: `list` (or `read`) without resource scoping. Callers
 * scoped to some entities only see those (see the teams list).
 */
export function canSeeAll(access: Access, entity: string): boolean {
  return access.can(`${entity}:list`) || access.can(`${entity}:read`);
}
