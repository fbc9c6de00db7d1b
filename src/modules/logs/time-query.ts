/**
 * How a log request (`begin`/`end` in Unix milliseconds, optional `query`) becomes backend query terms.
 * Pure functions, no I/O. The contract's rule: the time range is merged into the query syntactically,
 * without inspecting what the query says; with no range the query goes out unchanged; with neither
 * there is nothing to ask (422).
 */
import { unprocessable } from '../../platform/errors.js';

export interface LogWindow {
  begin?: number;
  end?: number;
  query?: string;
}

/** An Elasticsearch query DSL clause, e.g. `{term: {env: 'prod'}}`. */
export type EsClause = Record<string, unknown>;

/** Accepts a range and/or a query; refuses neither, negative or reversed bounds. */
export function checkLogWindow(window: LogWindow): { begin?: number; end?: number; query?: string } {
  const { begin, end } = window;
  for (const [name, value] of [
    ['begin', begin],
    ['end', end],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw unprocessable(`${name} must be a Unix time in milliseconds`);
    }
  }
  if (begin !== undefined && end !== undefined && begin > end) throw unprocessable('begin must not be after end');
  const query = window.query === undefined || window.query.trim() === '' ? undefined : window.query;
  if (begin === undefined && end === undefined && query === undefined) {
    throw unprocessable('give a time range (begin and/or end) or a query');
  }
  return { begin, end, query };
}

const hasRange = (w: LogWindow) => w.begin !== undefined || w.end !== undefined;

/** `{range: {<field>: {gte, lte, format: epoch_millis}}}` with only the bounds that were given. */
export function esRangeClause(timestampField: string, window: LogWindow): EsClause {
  const bounds: Record<string, unknown> = {};
  if (window.begin !== undefined) bounds.gte = window.begin;
  if (window.end !== undefined) bounds.lte = window.end;
  bounds.format = 'epoch_millis';
  return { range: { [timestampField]: bounds } };
}

/**
 * The query clause for one Elasticsearch search. A query starting with `{` is a JSON query clause (the
 * Kibana "Dev Tools" form `{"query": {...}}` is unwrapped): with a range it becomes
 * `bool {must: [clause], filter: [range]}`. Any other query is Lucene syntax for `query_string`, with the
 * range appended as `(<query>) AND <field>:[<begin> TO <end>]` (`*` for an open end).
 */
export function esQueryClause(window: LogWindow, timestampField: string): EsClause {
  const w = checkLogWindow(window);
  if (w.query === undefined) return esRangeClause(timestampField, w);
  if (w.query.trimStart().startsWith('{')) {
    const clause = parseJsonClause(w.query);
    return hasRange(w) ? { bool: { must: [clause], filter: [esRangeClause(timestampField, w)] } } : clause;
  }
  if (!hasRange(w)) return { query_string: { query: w.query } };
  const range = `[${w.begin ?? '*'} TO ${w.end ?? '*'}]`;
  return { query_string: { query: `(${w.query}) AND ${luceneEscape(timestampField)}:${range}` } };
}

function parseJsonClause(text: string): EsClause {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw unprocessable(`the query starts with "{" but is not valid JSON: ${(error as Error).message.slice(0, 120)}`);
  }
  if (!isPlainObject(parsed) || Object.keys(parsed).length === 0) {
    throw unprocessable('a JSON query must be an Elasticsearch query clause object, e.g. {"match": {"message": "x"}}');
  }
  const keys = Object.keys(parsed);
  if (keys.length === 1 && keys[0] === 'query') {
    if (!isPlainObject(parsed.query)) throw unprocessable('"query" in a JSON query must be a query clause object');
    return parsed.query;
  }
  return parsed;
}

/** Escapes Lucene's reserved characters in a field name (`@timestamp` and dotted names need none). */
export function luceneEscape(text: string): string {
  return text.replace(/[+\-=&|><!(){}[\]^"~*?:\\/\s]/g, (c) => `\\${c}`);
}

/**
 * A source's `prefilters` as filter clauses. Accepted forms: nothing (none); an object whose entries
 * are `field: scalar` (-> `term`), `field: [scalars]` (-> `terms`) or `<query type>: {...}` (-> that
 * clause as given, e.g. `"range": {...}`); an array of clause objects, as given; a string holding any
 * of these as JSON.
 */
export function esPrefilterClauses(prefilters: unknown): EsClause[] {
  if (prefilters === undefined || prefilters === null) return [];
  if (typeof prefilters === 'string') {
    if (prefilters.trim() === '') return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(prefilters);
    } catch {
      throw unprocessable('the log source prefilters are not valid JSON');
    }
    if (typeof parsed === 'string') throw unprocessable('the log source prefilters must be an object or an array');
    return esPrefilterClauses(parsed);
  }
  if (Array.isArray(prefilters)) {
    return prefilters.map((clause, i) => {
      if (!isPlainObject(clause) || Object.keys(clause).length === 0) {
        throw unprocessable(`log source prefilter #${i + 1} must be a query clause object`);
      }
      return clause;
    });
  }
  if (!isPlainObject(prefilters)) throw unprocessable('the log source prefilters must be an object or an array');
  return Object.entries(prefilters).map(([key, value]) => {
    if (isScalar(value)) return { term: { [key]: value } };
    if (Array.isArray(value) && value.every(isScalar)) return { terms: { [key]: value } };
    if (isPlainObject(value)) return { [key]: value };
    throw unprocessable(`log source prefilter '${key}' must be a string, number, boolean, a list of them or a clause`);
  });
}

/** CloudWatch Logs takes the range as API parameters; the filter pattern goes out as written. */
export function cloudWatchWindow(window: LogWindow): { startTime?: number; endTime?: number; filterPattern?: string } {
  const w = checkLogWindow(window);
  return { startTime: w.begin, endTime: w.end, filterPattern: w.query };
}

/** Below this, a numeric timestamp is taken as Unix seconds (1e11 ms is March 1973; 1e11 s is year 5138). */
const SECONDS_BELOW = 1e11;

/**
 * A document timestamp in ms since epoch, or undefined when it cannot be read. Numbers (and strings of
 * digits) are milliseconds, or seconds when below 1e11 (fractions allowed); other strings are dates,
 * read as UTC when they carry no zone (Elasticsearch's rule).
 */
export function toEpochMillis(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? fromNumber(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return fromNumber(Number(text));
  let iso = text.replace(/^(\d{4}-\d{2}-\d{2})[ T]/, '$1T');
  if (/^\d{4}-\d{2}-\d{2}T[\d:.,]+$/.test(iso)) iso += 'Z';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

function fromNumber(n: number): number {
  return Math.round(Math.abs(n) < SECONDS_BELOW ? n * 1000 : n);
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
