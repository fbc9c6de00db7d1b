import { badRequest } from '../errors.js';

export interface OrderBy {
  /** The column (or SQL expression alias) the wire field maps to. */
  column: string;
  direction: 'asc' | 'desc';
}

/**
 * Parses `order_by=field:asc,other:desc` against the fields an operation allows (wire name ->
 * column). Unknown fields and directions are a 400 naming them.
 */
export function parseOrderBy(raw: unknown, sortable: Record<string, string> | undefined): OrderBy[] {
  if (raw === undefined || raw === '') return [];
  if (typeof raw !== 'string') throw badRequest("query.order_by: must be a string like 'name:asc'");
  const allowed = sortable ?? {};
  return raw.split(',').map((part) => {
    const [field, direction = 'asc', extra] = part.trim().split(':');
    if (extra !== undefined || (direction !== 'asc' && direction !== 'desc')) {
      throw badRequest(`query.order_by: '${part}' must look like 'field:asc' or 'field:desc'`);
    }
    const column = Object.hasOwn(allowed, field) ? allowed[field] : undefined;
    if (!column) {
      const names = Object.keys(allowed);
      throw badRequest(
        `query.order_by: cannot order by '${field}'${names.length ? `; allowed: ${names.join(', ')}` : ''}`,
      );
    }
    return { column, direction };
  });
}

/**
 * The `order_by` fields of a list of `entity`: each field also answers to `<entity>_<field>`, the name
 * clients use for the listed object's own fields (`organization_canonical:asc` on getChildren). Other
 * names stay unknown (400).
 */
export function sortableFields(entity: string, fields: Record<string, string>): Record<string, string> {
  const all: Record<string, string> = { ...fields };
  for (const [field, column] of Object.entries(fields)) {
    if (!field.startsWith(`${entity}_`)) all[`${entity}_${field}`] ??= column;
  }
  return all;
}
