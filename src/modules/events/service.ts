import type { components } from '../../generated/contract.js';
import type { DbHandle } from '../../platform/db/database.js';
import { unprocessable } from '../../platform/errors.js';
import type { Paging } from '../../platform/http/paging.js';
import { type EventWire, parseTags, presentEvent } from './present.js';
import * as repo from './repo.js';

export type NewEventBody = components['schemas']['NewEvent'];

/** Events of this type are the audit trail, written only by the platform: clients cannot forge them. */
const AUDIT_TYPE = 'Cycloid';

/** Records an event sent by a client; its time is the server's, in milliseconds. */
export async function recordEvent(db: DbHandle, organizationId: number, body: NewEventBody): Promise<EventWire> {
  if (body.type === AUDIT_TYPE) {
    throw unprocessable(`type: '${AUDIT_TYPE}' is reserved for the events the platform records itself; use 'Custom'`);
  }
  const row = await repo.insertEvent(db, {
    organization_id: organizationId,
    type: body.type,
    severity: body.severity,
    title: body.title,
    message: body.message,
    color: body.color ?? null,
    icon: body.icon ?? null,
    tags: JSON.stringify(body.tags.map((tag) => ({ key: tag.key, value: tag.value }))),
    timestamp_ms: Date.now(),
  });
  return presentEvent(row);
}

/**
 * The organization's events, newest first. The contract does not page this list, so every match is
 * returned unless the client asks for a window with `page_index`/`page_size` (accepted everywhere).
 */
export async function listEvents(
  db: DbHandle,
  organizationId: number,
  filter: repo.EventFilter,
  paging: Paging | undefined,
): Promise<EventWire[]> {
  if (filter.begin !== undefined && filter.end !== undefined && filter.begin > filter.end) {
    throw unprocessable(`begin (${filter.begin}) must not be after end (${filter.end})`);
  }
  let query = repo.eventsOf(db, organizationId, filter);
  if (paging) query = query.limit(paging.size).offset(paging.offset);
  return (await query.execute()).map(presentEvent);
}

/** Every tag key seen on the organization's events, with the sorted set of its values. */
export async function eventTags(db: DbHandle, organizationId: number): Promise<Record<string, string[]>> {
  const values = new Map<string, Set<string>>();
  for (const text of await repo.distinctTagLists(db, organizationId)) {
    for (const tag of parseTags(text)) {
      const set = values.get(tag.key) ?? new Set<string>();
      values.set(tag.key, set);
      set.add(tag.value);
    }
  }
  return Object.fromEntries([...values.keys()].sort().map((key) => [key, [...(values.get(key) ?? [])].sort()]));
}
