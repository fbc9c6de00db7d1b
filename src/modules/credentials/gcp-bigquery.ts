import { badGateway, unprocessable } from '../../platform/errors.js';
import { type OutboundPolicy, type OutboundResponse, outboundRequest } from '../../platform/net/outbound.js';
import { quoteUpstream } from '../../platform/net/upstream-text.js';
import {
  BIGQUERY_READONLY_SCOPE,
  fetchAccessToken,
  parseJsonBody,
  parseServiceAccountKey,
  upstreamFailure,
} from './gcp-auth.js';

export { parseServiceAccountKey, type ServiceAccountKey, validateServiceAccountKey } from './gcp-auth.js';

/**
 * getCredentialOptions(service=gcp_bigquery): what a `gcp` credential can see in BigQuery, so a user can
 * pick the billing export table for cost management. Read-only calls to BigQuery REST v2.
 */

export interface GcpEndpoints {
  tokenUrl: string;
  bigQueryUrl: string;
}

export const DEFAULT_GCP_ENDPOINTS: GcpEndpoints = {
  tokenUrl: 'https://oauth2.googleapis.com/token',
  bigQueryUrl: 'https://bigquery.googleapis.com',
};

export interface BigQueryOptions {
  projects: { id: string; datasets: { id: string; tables: { id: string }[] }[] }[];
}

export interface ListBigQueryOptions {
  /** Per-request deadline (default 15 s, outbound.ts's). */
  timeoutMs?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** BigQuery requests allowed for the whole listing (default MAX_REQUESTS). */
  maxRequests?: number;
}

/** Pages followed per listing: a credential seeing more is cut there rather than looping for minutes. */
export const MAX_PAGES = 20;
/** Requests per listing in all: beyond it the listing is refused instead of hammering BigQuery. */
export const MAX_REQUESTS = 1000;
const PAGE_SIZE = '1000';
const SERVICE = 'BigQuery';
/** BigQuery answers 403 for these too; they are the upstream's load, not the credential's rights. */
const THROTTLING_REASONS = new Set(['rateLimitExceeded', 'quotaExceeded']);

export async function listBigQueryOptions(
  jsonKey: string,
  endpoints: GcpEndpoints,
  policy: OutboundPolicy,
  options: ListBigQueryOptions = {},
): Promise<BigQueryOptions> {
  const key = parseServiceAccountKey(jsonKey);
  const token = await fetchAccessToken(key, endpoints.tokenUrl, BIGQUERY_READONLY_SCOPE, policy, {
    timeoutMs: options.timeoutMs,
  });
  const api = new BigQueryLister(endpoints.bigQueryUrl, token, policy, options);
  const projectIds = await api.listIds(
    '/bigquery/v2/projects',
    {},
    'projects',
    (item) => item.projectReference?.projectId,
  );
  const projects = await Promise.all(
    (projectIds ?? []).map(async (projectId) => {
      const projectPath = `/bigquery/v2/projects/${encodeURIComponent(projectId)}`;
      // A project the credential may see but not read (role without bigquery.datasets.list, API
      // disabled) is still shown, empty, instead of failing the whole listing.
      const datasetIds = await api.listIds(
        `${projectPath}/datasets`,
        { all: 'false' },
        'datasets',
        (item) => item.datasetReference?.datasetId,
        { skipWhenDenied: true },
      );
      const datasets = await Promise.all(
        (datasetIds ?? []).map(async (datasetId) => {
          const tableIds = await api.listIds(
            `${projectPath}/datasets/${encodeURIComponent(datasetId)}/tables`,
            {},
            'tables',
            (item) => item.tableReference?.tableId,
            { skipWhenDenied: true },
          );
          return { id: datasetId, tables: (tableIds ?? []).map((id) => ({ id })) };
        }),
      );
      return { id: projectId, datasets };
    }),
  );
  return { projects };
}

/** The fields read from BigQuery list items; everything else is ignored. */
interface ListItem {
  projectReference?: { projectId?: unknown };
  datasetReference?: { datasetId?: unknown };
  tableReference?: { tableId?: unknown };
}

interface ListPage {
  nextPageToken?: unknown;
  [items: string]: unknown;
}

class BigQueryLister {
  private readonly limiter: Limiter;
  private requests = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly policy: OutboundPolicy,
    private readonly options: ListBigQueryOptions,
  ) {
    this.limiter = new Limiter(options.concurrency ?? 4);
  }

  /**
   * Every id of a paginated listing, unique and sorted; undefined when `skipWhenDenied` and BigQuery
   * refused this one listing (403/404).
   */
  async listIds(
    path: string,
    params: Record<string, string>,
    itemsField: string,
    idOf: (item: ListItem) => unknown,
    { skipWhenDenied = false } = {},
  ): Promise<string[] | undefined> {
    const ids = new Set<string>();
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = new URLSearchParams({ ...params, maxResults: PAGE_SIZE, ...(pageToken ? { pageToken } : {}) });
      const body = await this.limiter.run(() => this.getPage(`${path}?${query}`, skipWhenDenied));
      if (body === undefined) return undefined;
      const items = body[itemsField];
      for (const item of Array.isArray(items) ? (items as ListItem[]) : []) {
        const id = idOf(item ?? {});
        if (typeof id === 'string' && id !== '') ids.add(id);
      }
      if (typeof body.nextPageToken !== 'string' || body.nextPageToken === '') break;
      pageToken = body.nextPageToken;
    }
    return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private async getPage(pathAndQuery: string, skipWhenDenied: boolean): Promise<ListPage | undefined> {
    const maxRequests = this.options.maxRequests ?? MAX_REQUESTS;
    if (++this.requests > maxRequests) {
      throw unprocessable(
        `the GCP credential sees more BigQuery projects, datasets and tables than can be listed at once (over ${maxRequests} requests)`,
      );
    }
    let response: OutboundResponse;
    try {
      response = await outboundRequest(
        `${this.baseUrl.replace(/\/+$/, '')}${pathAndQuery}`,
        {
          headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' },
          timeoutMs: this.options.timeoutMs,
        },
        this.policy,
      );
    } catch (error) {
      throw upstreamFailure(SERVICE, error);
    }
    if (response.status === 200) {
      const body = parseJsonBody(SERVICE, response);
      if (typeof body !== 'object' || body === null)
        throw badGateway(`${SERVICE} answered a list that is not an object`);
      return body as ListPage;
    }
    const { reasons, message } = googleError(response);
    const detail = message ? `: ${message}` : '';
    if (response.status === 403 && reasons.some((r) => THROTTLING_REASONS.has(r))) {
      throw badGateway(`${SERVICE} is throttling this credential${detail}`);
    }
    if (skipWhenDenied && (response.status === 403 || response.status === 404)) return undefined;
    if (response.status === 401 || response.status === 403) {
      throw unprocessable(`${SERVICE} refused the GCP credential${detail || ` (HTTP ${response.status})`}`);
    }
    throw badGateway(`${SERVICE} answered HTTP ${response.status}${detail}`);
  }
}

/** The reasons and message of Google's error format `{error: {message, errors: [{reason}]}}`, quoted safely. */
function googleError(response: OutboundResponse): { reasons: string[]; message: string } {
  let error: { message?: unknown; errors?: unknown } | undefined;
  try {
    error = JSON.parse(response.body.toString('utf8'))?.error;
  } catch {
    error = undefined;
  }
  const reasons = Array.isArray(error?.errors)
    ? error.errors.map((e: { reason?: unknown }) => e?.reason).filter((r): r is string => typeof r === 'string')
    : [];
  const message = typeof error?.message === 'string' ? quoteUpstream(error.message) : '';
  return { reasons, message };
}

/**
 * Runs at most `max` tasks at once. After a failure, queued tasks are not started: they fail with that
 * same error, so whichever rejection reaches the caller first is the real cause.
 */
class Limiter {
  private active = 0;
  private failure: { error: unknown } | undefined;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    while (this.active >= this.max && !this.failure) await new Promise<void>((wake) => this.waiting.push(wake));
    if (this.failure) throw this.failure.error;
    this.active++;
    try {
      return await task();
    } catch (error) {
      this.failure ??= { error };
      for (const wake of this.waiting.splice(0)) wake();
      throw error;
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
