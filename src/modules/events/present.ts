import type { components } from '../../generated/contract.js';
import type { EventRow } from './repo.js';

export type EventWire = components['schemas']['Event'];
type Tag = components['schemas']['Tag'];

export function parseTags(text: string): Tag[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? (parsed as Tag[]) : [];
}

export function presentEvent(row: EventRow): EventWire {
  return {
    id: row.id,
    type: row.type as EventWire['type'],
    severity: row.severity as EventWire['severity'],
    title: row.title,
    message: row.message,
    tags: parseTags(row.tags),
    timestamp: row.timestamp_ms,
    ...(row.color !== null ? { color: row.color } : {}),
    ...(row.icon !== null ? { icon: row.icon } : {}),
  };
}
