import type { DbHandle } from '../../platform/db/database.js';
import { recordEvent } from '../../platform/events/audit.js';

/**
 * An organization event for changes the server or its operator makes outside any request (first
 * start, `gantry admin ...`), with `gantry` as the actor.
 */
export function recordSystemEvent(
  db: DbHandle,
  organizationId: number,
  action: string,
  target: string,
  note: string,
): Promise<void> {
  return recordEvent(db, { organizationId, action, actor: 'gantry', target, note });
}
