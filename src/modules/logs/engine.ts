/**
 * The log engines behind getProjEnvLogSources / getProjEnvLogEntries. An engine is built per request
 * from a `logs` external backend's configuration and its decrypted credential; it talks to the log
 * store and answers contract-shaped values. Errors are AppErrors: 404 unknown source, 422 bad
 * request or configuration, 502/504 when the store fails. Messages never carry secrets.
 */

export interface LogEntry {
  /** Never empty ('-' when the store has none). */
  host: string;
  /** The raw log line, never empty (entries without one are skipped). */
  message: string;
  /** Milliseconds since epoch as a decimal string ('' when the store's value cannot be read). */
  timestamp: string;
}

export interface LogQuery {
  sourceId: string;
  /** Unix milliseconds, inclusive. */
  begin?: number;
  /** Unix milliseconds, inclusive. */
  end?: number;
  query?: string;
  /** How many entries at most (the engines cap it at 10 000). */
  limit: number;
}

export interface LogEngine {
  /** The sources of one environment, sorted by id. */
  sources(environment: string): Promise<{ id: string }[]>;
  /** Entries in ascending time order: the first `limit` of the window. */
  entries(environment: string, q: LogQuery): Promise<LogEntry[]>;
}

/** Largest page either store serves in one call (Elasticsearch's default max_result_window). */
export const MAX_LIMIT = 10_000;

export function clampLimit(limit: number): number {
  if (!Number.isFinite(limit)) return MAX_LIMIT;
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)));
}

/** A log field value as display text: scalars as text, lists joined, objects as JSON. */
export function fieldText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(fieldText).filter(Boolean).join(', ');
  return JSON.stringify(value);
}

/** Builds a contract entry, or undefined when there is no message to show. */
export function logEntry(host: unknown, message: unknown, timestampMs: number | undefined): LogEntry | undefined {
  const text = fieldText(message);
  if (text === '') return undefined;
  return {
    host: fieldText(host) || '-',
    message: text,
    timestamp: timestampMs === undefined ? '' : String(timestampMs),
  };
}
