import type { AuditWriter } from '../http/operation.js';

/**
 * Records what an operation changed as an organization event (type `Cycloid`, severity `info`), in
 * the operation's own transaction: if the event cannot be written, the change is rolled back too.
 */
export const writeAudit: AuditWriter = async (db, record, ctx) => {
  const organizationId = record.organizationId ?? ctx.access?.organization.id;
  if (organizationId == null) return;
  const actor = ctx.actor;
  const who = actor?.kind === 'api_key' ? `api_key:${actor.apiKeyId}` : (actor?.username ?? 'anonymous');
  const tags = [
    { key: 'action', value: record.action },
    { key: 'actor', value: who },
    ...(record.target ? [{ key: 'target', value: record.target }] : []),
    { key: 'request_id', value: ctx.requestId },
  ];
  await db
    .insertInto('events')
    .values({
      organization_id: organizationId,
      type: 'Cycloid',
      severity: 'info',
      title: record.action,
      message: `${who} ${record.action}${record.target ? ` ${record.target}` : ''}`,
      color: null,
      icon: null,
      tags: JSON.stringify(tags),
      timestamp_ms: Date.now(),
    })
    .execute();
};
