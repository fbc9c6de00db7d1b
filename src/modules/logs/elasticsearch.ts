/**
 * The ElasticsearchLogs engine: one `_search` (ES 7 REST API) per entries request, sources read from
 * the backend configuration. See docs/logs-engines.md.
 */
import { type AppError, badGateway, gatewayTimeout, notFound, unprocessable } from '../../platform/errors.js';
import { OutboundError, type OutboundPolicy, outboundRequest } from '../../platform/net/outbound.js';
import { quoteUpstream } from '../../platform/net/upstream-text.js';
import { clampLimit, type LogEngine, type LogEntry, type LogQuery, logEntry } from './engine.js';
import { checkLogWindow, esPrefilterClauses, esQueryClause, toEpochMillis } from './time-query.js';

export interface ElasticsearchSource {
  /** Index name or pattern; default "default" (cycloid-cli's default). */
  index?: string;
  mapping?: { host: string; message: string; timestamp: string };
  prefilters?: unknown;
  /** Replace the backend's urls for this source. */
  urls?: string[];
}

/** The contract's ElasticsearchLogs configuration (the `engine` discriminator is not needed). */
export interface ElasticsearchLogsConfig {
  urls: string[];
  version: string;
  /** environment canonical -> source name -> source. */
  sources: Record<string, Record<string, ElasticsearchSource>>;
}

/** The raw of an `elasticsearch` credential. */
export interface EsCredential {
  ca_cert?: string;
  username?: string;
  password?: string;
}

/** cycloid-cli's defaults when a source has no mapping. */
const DEFAULT_MAPPING = { host: 'hostname', message: 'message', timestamp: 'timestamp' };
const SUPPORTED_VERSIONS = ['7'];
/** Per-URL deadline; a slow cluster is not asked again on the next URL. */
const SEARCH_TIMEOUT_MS = 15_000;

export function elasticsearchEngine(
  config: ElasticsearchLogsConfig,
  credential: EsCredential | undefined,
  policy: OutboundPolicy,
  opts: { timeoutMs?: number } = {},
): LogEngine {
  const timeoutMs = opts.timeoutMs ?? SEARCH_TIMEOUT_MS;
  return {
    async sources(environment) {
      return Object.keys(ownEntry(config.sources, environment) ?? {})
        .sort()
        .map((id) => ({ id }));
    },

    async entries(environment, q) {
      checkLogWindow(q);
      const source = ownEntry(ownEntry(config.sources, environment), q.sourceId);
      if (!source) throw notFound(`log source '${q.sourceId}'`);
      if (!SUPPORTED_VERSIONS.includes(String(config.version))) {
        throw unprocessable(`elasticsearch version '${config.version}' is not supported (only "7")`);
      }
      const mapping = { ...DEFAULT_MAPPING, ...source.mapping };
      const body = searchBody(source, mapping.timestamp, q);
      const urls = source.urls?.length ? source.urls : config.urls;
      if (!urls?.length) throw unprocessable(`log source '${q.sourceId}' has no elasticsearch URL`);
      const index = source.index || 'default';
      const answer = await searchAnyUrl(urls, index, body, credential, policy, timeoutMs);
      return hitsToEntries(answer, mapping);
    },
  };
}

/** `obj[key]` for own keys only, so ids like `constructor` or `__proto__` are just unknown. */
function ownEntry<T>(obj: Record<string, T> | undefined, key: string): T | undefined {
  return obj && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** The request body: the user query (with the time range merged in) plus the source's prefilters. */
export function searchBody(source: ElasticsearchSource, timestampField: string, q: LogQuery): Record<string, unknown> {
  const query = esQueryClause(q, timestampField);
  const prefilters = esPrefilterClauses(source.prefilters);
  return {
    query: prefilters.length > 0 ? { bool: { must: [query], filter: prefilters } } : query,
    sort: [{ [timestampField]: { order: 'asc', unmapped_type: 'date' } }],
    size: clampLimit(q.limit),
    track_total_hits: false,
  };
}

/** POSTs to each URL in turn until one answers; only network-level failures move on to the next. */
async function searchAnyUrl(
  urls: string[],
  index: string,
  body: Record<string, unknown>,
  credential: EsCredential | undefined,
  policy: OutboundPolicy,
  timeoutMs: number,
): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  let token: string | undefined;
  if (credential?.username) {
    token = Buffer.from(`${credential.username}:${credential.password ?? ''}`).toString('base64');
    headers.authorization = `Basic ${token}`;
  }
  const secrets = [credential?.password, token];
  const failures: string[] = [];
  for (const url of urls) {
    const target = `${url.replace(/\/+$/, '')}/${encodeURIComponent(index)}/_search`;
    let response: Awaited<ReturnType<typeof outboundRequest>>;
    try {
      response = await outboundRequest(
        target,
        {
          method: 'POST',
          headers,
          body: JSON.stringify(body),
          ca: credential?.ca_cert || undefined,
          timeoutMs,
        },
        policy,
      );
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      if (error.kind === 'network') {
        failures.push(quoteUpstream(error.message, secrets));
        continue;
      }
      throw outboundFailure(error, url, secrets);
    }
    return parseAnswer(response.status, response.body, secrets);
  }
  throw badGateway(`elasticsearch could not be reached: ${failures.join('; ')}`);
}

function outboundFailure(error: OutboundError, url: string, secrets: (string | undefined)[]): AppError {
  const message = quoteUpstream(error.message, secrets);
  if (error.kind === 'timeout') return gatewayTimeout(`elasticsearch did not answer in time: ${message}`);
  if (error.kind === 'denied') return unprocessable(`elasticsearch URL of host '${hostOf(url)}' refused: ${message}`);
  return badGateway(`elasticsearch answer refused: ${message}`);
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return 'invalid URL';
  }
}

function parseAnswer(status: number, raw: Buffer, secrets: (string | undefined)[]): unknown {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    json = undefined;
  }
  if (status >= 400) throw badGateway(`elasticsearch answered ${status}: ${esErrorText(json, raw, secrets)}`);
  if (json === undefined) throw badGateway(`elasticsearch answered ${status} with a body that is not JSON`);
  return json;
}

/** ES errors are `{error: {type, reason, root_cause}, status}` (older: `{error: "text"}`). */
/**
 * Elasticsearch's own error (`{"error": {"type", "reason"}}`) is quoted, cleaned of secrets. Anything
 * else is not Elasticsearch speaking: a URL pointed at another service must not turn the server into
 * a reader of that service's pages, so only its size is told.
 */
function esErrorText(json: unknown, raw: Buffer, secrets: (string | undefined)[]): string {
  const error = (json as { error?: unknown } | undefined)?.error;
  if (error && typeof error === 'object' && typeof (error as { type?: unknown }).type === 'string') {
    const { type, reason, root_cause } = error as { type?: string; reason?: string; root_cause?: unknown[] };
    const root = Array.isArray(root_cause) ? (root_cause[0] as { reason?: string } | undefined) : undefined;
    const detail = root?.reason && root.reason !== reason ? ` (${root.reason})` : '';
    return quoteUpstream(`${type ?? 'error'}: ${reason ?? ''}${detail}`, secrets);
  }
  return `not an Elasticsearch error (${raw.length} bytes not shown)`;
}

interface Hit {
  _source?: Record<string, unknown>;
  sort?: unknown[];
}

function hitsToEntries(answer: unknown, mapping: { host: string; message: string; timestamp: string }): LogEntry[] {
  const hits = (answer as { hits?: { hits?: unknown } } | undefined)?.hits?.hits;
  if (!Array.isArray(hits)) throw badGateway('elasticsearch answered without hits');
  const entries: LogEntry[] = [];
  for (const hit of hits as Hit[]) {
    const source = hit?._source ?? {};
    // The sort value is the indexed date (epoch ms) when _source holds a format we cannot read.
    const ms = toEpochMillis(fieldAt(source, mapping.timestamp)) ?? toEpochMillis(hit?.sort?.[0]);
    const entry = logEntry(fieldAt(source, mapping.host), fieldAt(source, mapping.message), ms);
    if (entry) entries.push(entry);
  }
  return entries;
}

/**
 * The value at a dotted path, whether the document nests objects (`{host: {name}}`) or stores the
 * dotted key literally (`{"host.name": ...}`), or mixes both; the longest literal key wins.
 */
export function fieldAt(doc: unknown, path: string): unknown {
  const parts = path.split('.');
  const walk = (node: unknown, from: number): unknown => {
    if (from === parts.length) return node;
    if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
    const obj = node as Record<string, unknown>;
    for (let to = parts.length; to > from; to--) {
      const key = parts.slice(from, to).join('.');
      if (!Object.hasOwn(obj, key)) continue;
      const found = walk(obj[key], to);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk(doc, 0);
}
