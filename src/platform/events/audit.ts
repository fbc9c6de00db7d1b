import type { DbHandle } from '../db/database.js';
import type { AuditWriter } from '../http/operation.js';

export interface EventRecord {
  organizationId: number;
  action: string;
  /** Who did it: a username, `api_key:<id>`, or `gantry` for the server and its operator. */
  actor: string;
  target?: string;
  /** Appended to the message in parentheses (e.g. `command line`). */
  note?: string;
  tags?: Array<{ key: string; value: string }>;
}

/** Every change recorded as an organization event (type `Cycloid`, severity `info`) has this shape. */
export async function recordEvent(db: DbHandle, record: EventRecord): Promise<void> {
  const { action, actor, target } = record;
  await db
    .insertInto('events')
    .values({
      organization_id: record.organizationId,
      type: 'Cycloid',
      severity: 'info',
      title: action,
      message: `${actor} ${action}${target ? ` ${target}` : ''}${record.note ? ` (${record.note})` : ''}`,
      color: null,
      icon: null,
      tags: JSON.stringify([
        { key: 'action', value: action },
        { key: 'actor', value: actor },
        ...(target ? [{ key: 'target', value: target }] : []),
        ...(record.tags ?? []),
      ]),
      timestamp_ms: Date.now(),
    })
    .execute();
}

/**
 * Records what an operation changed, in the operation's own transaction: if the event cannot be
 * written, the change is rolled back too.
 */
export const writeAudit: AuditWriter = async (db, record, ctx) => {
  const organizationId = record.organizationId ?? ctx.access?.organization.id;
  if (organizationId == null) return;
  const actor = ctx.actor;
  await recordEvent(db, {
    organizationId,
    action: record.action,
    actor: actor?.kind === 'api_key' ? `api_key:${actor.apiKeyId}` : (actor?.username ?? 'anonymous'),
    target: record.target,
    tags: [{ key: 'request_id', value: ctx.requestId }],
  });
};
