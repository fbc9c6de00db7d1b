import type { Selectable } from 'kysely';
import type { DbHandle } from '../../platform/db/database.js';
import type { EventsTable } from '../../platform/db/schema.js';

export type EventRow = Selectable<EventsTable>;

export interface EventFilter {
  /** Inclusive bounds, Unix milliseconds. */
  begin?: number;
  end?: number;
  types?: string[];
  severities?: string[];
}

export function insertEvent(db: DbHandle, values: Omit<EventRow, 'id'>): Promise<EventRow> {
  return db.insertInto('events').values(values).returningAll().executeTakeFirstOrThrow();
}

/** Newest first; every filter narrows the result (they are AND-combined). */
export function eventsOf(db: DbHandle, organizationId: number, filter: EventFilter) {
  let query = db.selectFrom('events').selectAll().where('organization_id', '=', organizationId);
  if (filter.begin !== undefined) query = query.where('timestamp_ms', '>=', filter.begin);
  if (filter.end !== undefined) query = query.where('timestamp_ms', '<=', filter.end);
  if (filter.types?.length) query = query.where('type', 'in', filter.types);
  if (filter.severities?.length) query = query.where('severity', 'in', filter.severities);
  return query.orderBy('timestamp_ms', 'desc').orderBy('id', 'desc');
}

/**
 * Every distinct tag list of the organization's events. Tags are JSON text; unpacking them in SQL
 * would need engine-specific JSON functions, so the distinct lists are merged by the caller.
 */
export async function distinctTagLists(db: DbHandle, organizationId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('events')
    .select('tags')
    .distinct()
    .where('organization_id', '=', organizationId)
    .execute();
  return rows.map((row) => row.tags);
}
