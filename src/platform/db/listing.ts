import { type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import type { OrderBy } from '../http/ordering.js';

/* Query helpers of list operations, written once for both engines. */

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
