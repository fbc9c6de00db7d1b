import { defineOperations, type Module } from '../../platform/http/operation.js';
import type { ModuleDeps } from '../deps.js';
import { eventRetentionJobs } from './retention.js';
import { eventTags, listEvents, recordEvent } from './service.js';

/**
 * Organization events: what clients send, and the audit trail every mutation leaves; pruned hourly
 * by age and by count per organization (GANTRY_EVENTS_RETENTION_DAYS, GANTRY_LIMIT_EVENTS_PER_ORG).
 */
export function eventsModule(deps: ModuleDeps): Module {
  return {
    name: 'events',
    ...eventRetentionJobs(deps.config.events),
    operations: defineOperations({
      getEvents: {
        permission: { action: 'organization:event:read' },
        handler: ({ db, access, query, paging }) =>
          listEvents(
            db,
            access!.organization.id,
            { begin: query.begin, end: query.end, types: query.type, severities: query.severity },
            query.page_index !== undefined || query.page_size !== undefined ? paging : undefined,
          ),
      },
      sendEvent: {
        permission: { action: 'organization:event:create' },
        // The event sent is itself the record of this call; auditing it would only duplicate it.
        noAudit: true,
        handler: ({ db, access, body }) => recordEvent(db, access!.organization.id, body),
      },
      getEventsTags: {
        permission: { action: 'organization:event:read' },
        handler: ({ db, access }) => eventTags(db, access!.organization.id),
      },
    }),
  };
}
