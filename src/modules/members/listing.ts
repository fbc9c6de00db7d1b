import { type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import type { Access } from '../../platform/authz/access.js';
import { rulesCover } from '../../platform/authz/rules.js';
import { forbidden } from '../../platform/errors.js';
import type { OrderBy } from '../../platform/http/ordering.js';

/*
 * Small query and permission helpers shared by the members and teams modules. They hold nothing
 * specific to members and could move to src/platform once other list modules want them.
 */

/**
 * Case-insensitive substring match written the same way for both engines: LIKE over lower-cased text,
 * with the client's `%`, `_` and `\` escaped so they match literally.
 */
export function containsText(column: string, text: string) {
  const pattern = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
}

/** A condition no row meets, for lists whose visible set is empty (`in ()` is not valid SQL). */
export const NOTHING = sql<SqlBool>`1 = 0`;

/**
 * Applies `order_by`, then a unique tiebreak so pages never overlap. NULLs sort last in both
 * directions on both engines (SQLite and PostgreSQL disagree by default).
 */
export function applyOrder<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  orderBy: OrderBy[],
  tiebreak: string,
): SelectQueryBuilder<DB, TB, O> {
  let ordered = query;
  for (const { column, direction } of orderBy) {
    ordered = ordered.orderBy(sql`${sql.ref(column)} is null`).orderBy(sql.ref(column), direction);
  }
  return ordered.orderBy(sql.ref(tiebreak), 'asc');
}

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
