import type { DbHandle } from '../../platform/db/database.js';

/**
 * An organization event for changes the server or its operator makes outside any request (first
 * start, `gantry admin ...`); same shape as the audit writer's, with `gantry` as the actor.
 */
export async function recordSystemEvent(
  db: DbHandle,
  organizationId: number,
  action: string,
  target: string,
  note: string,
): Promise<void> {
  await db
    .insertInto('events')
    .values({
      organization_id: organizationId,
      type: 'Cycloid',
      severity: 'info',
      title: action,
      message: `gantry ${action} ${target} (${note})`,
      color: null,
      icon: null,
      tags: JSON.stringify([
        { key: 'action', value: action },
        { key: 'actor', value: 'gantry' },
        { key: 'target', value: target },
      ]),
      timestamp_ms: Date.now(),
    })
    .execute();
}
