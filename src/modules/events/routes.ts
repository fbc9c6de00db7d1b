import type { HandlerContext, Module } from '../../platform/http/operation.js';
import type { ModuleDeps } from '../deps.js';
import { eventRetentionJobs } from './retention.js';
import { eventTags, listEvents, type NewEventBody, recordEvent } from './service.js';

interface EventsQuery {
  begin?: number;
  end?: number;
  type?: string[];
  severity?: string[];
  page_index?: number;
  page_size?: number;
}

type Ctx<Q = Record<string, unknown>, B = unknown> = HandlerContext<{ organization_canonical: string }, Q, B>;

/**
 * Organization events: what clients send, and the audit trail every mutation leaves; pruned hourly
 * by age and by count per organization (GANTRY_EVENTS_RETENTION_DAYS, GANTRY_LIMIT_EVENTS_PER_ORG).
 */
export function eventsModule(deps: ModuleDeps): Module {
  return {
    name: 'events',
    ...eventRetentionJobs(deps.config.events),
    operations: {
      getEvents: {
        permission: { action: 'organization:event:read' },
        handler: ({ db, access, query, paging }: Ctx<EventsQuery>) =>
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
        handler: ({ db, access, body }: Ctx<unknown, NewEventBody>) => recordEvent(db, access!.organization.id, body),
      },
      getEventsTags: {
        permission: { action: 'organization:event:read' },
        handler: ({ db, access }: Ctx) => eventTags(db, access!.organization.id),
      },
    },
  };
}
