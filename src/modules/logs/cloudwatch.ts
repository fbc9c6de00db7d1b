/**
 * The AWSCloudWatchLogs engine, through the official SDK. Sources are the log groups named after the
 * project and environment; entries come from FilterLogEvents. See docs/logs-engines.md.
 */
import http from 'node:http';
import https from 'node:https';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  type FilteredLogEvent,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { AppError, badGateway, gatewayTimeout, notFound, unprocessable } from '../../platform/errors.js';
import { guardedLookup, OutboundError, type OutboundPolicy, outboundUrlProblem } from '../../platform/net/outbound.js';
import { quoteUpstream } from '../../platform/net/upstream-text.js';
import { clampLimit, type LogEngine, type LogEntry, logEntry } from './engine.js';
import { cloudWatchWindow } from './time-query.js';

export interface CloudWatchOptions {
  /** Server-level endpoint override (LocalStack, tests); the AWS endpoint of the region otherwise. */
  endpoint?: string;
  project: string;
  policy: OutboundPolicy;
  /** Per-HTTP-request deadline (default 15 s). */
  timeoutMs?: number;
}

export interface AwsCredential {
  access_key: string;
  secret_key: string;
}

/** Bounds on one request: pages fetched per call, and per-HTTP-request timeouts. */
const MAX_PAGES = 10;
const GROUPS_PER_PAGE = 50;
const CONNECT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 15_000;

/**
 * The log groups of a project environment: `/<project>/<env>` and `<project>-<env>`, alone or followed
 * by a separator (`/` for the first; `-`, `_` or `/` for the second). The prefixes are what
 * DescribeLogGroups is asked for; `belongsTo` is the exact rule, also applied to entries requests.
 */
export function groupPrefixes(project: string, environment: string): string[] {
  return [`/${project}/${environment}`, `${project}-${environment}`];
}

export function belongsTo(group: string, project: string, environment: string): boolean {
  const [slash, dash] = groupPrefixes(project, environment) as [string, string];
  if (group === slash || group.startsWith(`${slash}/`)) return true;
  return group === dash || ['-', '_', '/'].some((sep) => group.startsWith(`${dash}${sep}`));
}

export function cloudWatchEngine(
  config: { region: string },
  credential: AwsCredential,
  opts: CloudWatchOptions,
): LogEngine {
  const secrets = [credential?.secret_key, credential?.access_key];

  /** Runs `work` with a fresh client whose sockets are closed afterwards; maps SDK failures. */
  async function withClient<T>(work: (client: CloudWatchLogsClient) => Promise<T>, sourceId?: string): Promise<T> {
    const client = makeClient(config, credential, opts);
    try {
      return await work(client);
    } catch (error) {
      throw cloudWatchFailure(error, opts.endpoint, secrets, sourceId);
    } finally {
      client.destroy();
    }
  }

  return {
    async sources(environment) {
      const groups = await withClient(async (client) => {
        const found = new Set<string>();
        for (const prefix of groupPrefixes(opts.project, environment)) {
          let nextToken: string | undefined;
          for (let page = 0; page < MAX_PAGES; page++) {
            const out = await client.send(
              new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, limit: GROUPS_PER_PAGE, nextToken }),
            );
            for (const group of out.logGroups ?? []) {
              const name = group.logGroupName;
              if (name && belongsTo(name, opts.project, environment)) found.add(name);
            }
            nextToken = out.nextToken;
            if (!nextToken) break;
          }
        }
        return found;
      });
      return [...groups].sort().map((id) => ({ id }));
    },

    async entries(environment, q) {
      const window = cloudWatchWindow(q);
      // Only this environment's groups: the id must not reach other groups of the account.
      if (!belongsTo(q.sourceId, opts.project, environment)) throw notFound(`log source '${q.sourceId}'`);
      const limit = clampLimit(q.limit);
      const entries = await withClient(async (client) => {
        const found: LogEntry[] = [];
        let nextToken: string | undefined;
        for (let page = 0; page < MAX_PAGES && found.length < limit; page++) {
          const out = await client.send(
            new FilterLogEventsCommand({ logGroupName: q.sourceId, ...window, limit: limit - found.length, nextToken }),
          );
          for (const event of out.events ?? []) {
            const entry = eventEntry(event);
            if (entry) found.push(entry);
          }
          nextToken = out.nextToken;
          if (!nextToken) break;
        }
        return found;
      }, q.sourceId);
      return entries.sort((a, b) => Number(a.timestamp) - Number(b.timestamp)).slice(0, limit);
    },
  };
}

function eventEntry(event: FilteredLogEvent): LogEntry | undefined {
  return logEntry(event.logStreamName, event.message, event.timestamp);
}

function makeClient(config: { region: string }, credential: AwsCredential, opts: CloudWatchOptions) {
  if (!config?.region || !/^[a-z0-9-]{1,40}$/.test(config.region)) {
    throw unprocessable('the CloudWatch Logs backend needs a valid AWS region');
  }
  if (!credential?.access_key || !credential?.secret_key) {
    throw unprocessable('the CloudWatch Logs credential needs access_key and secret_key');
  }
  if (opts.endpoint) {
    const problem = outboundUrlProblem(opts.endpoint, opts.policy);
    if (problem) throw unprocessable(`the CloudWatch Logs endpoint is refused: ${problem}`);
  }
  // Host names are checked after DNS resolution, so a name cannot lead to a denied network.
  const lookup = guardedLookup(opts.policy);
  return new CloudWatchLogsClient({
    region: config.region,
    credentials: { accessKeyId: credential.access_key, secretAccessKey: credential.secret_key },
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    maxAttempts: 2,
    requestHandler: {
      httpAgent: new http.Agent({ lookup }),
      httpsAgent: new https.Agent({ lookup }),
      connectionTimeout: Math.min(CONNECT_TIMEOUT_MS, opts.timeoutMs ?? CONNECT_TIMEOUT_MS),
      requestTimeout: opts.timeoutMs ?? REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  });
}

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** SDK and socket failures as AppErrors; only the error name and a capped, redacted message are kept. */
export function cloudWatchFailure(
  error: unknown,
  endpoint: string | undefined,
  secrets: (string | undefined)[],
  sourceId?: string,
): unknown {
  if (error instanceof AppError) return error;
  const e = (error ?? {}) as SdkError;
  const message = quoteUpstream(e.message ?? '', secrets);
  if (error instanceof OutboundError || e.name === 'OutboundError') {
    const kind = (error as OutboundError).kind;
    if (kind === 'denied') return unprocessable(`the CloudWatch Logs endpoint is refused: ${message}`);
    return kind === 'timeout'
      ? gatewayTimeout(`CloudWatch Logs: ${message}`)
      : badGateway(`CloudWatch Logs: ${message}`);
  }
  if (e.name === 'ResourceNotFoundException' && sourceId !== undefined) return notFound(`log source '${sourceId}'`);
  if (e.name === 'TimeoutError' || e.code === 'ETIMEDOUT') {
    return gatewayTimeout('CloudWatch Logs did not answer in time');
  }
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 300) {
    return badGateway(`CloudWatch Logs answered ${status} ${e.name ?? 'error'}: ${message}`);
  }
  if (e.code) return badGateway(`CloudWatch Logs could not be reached at ${hostOf(endpoint)} (${e.code})`);
  return error; // a programming error, not an upstream one: let it surface as a 500
}

function hostOf(endpoint: string | undefined): string {
  if (!endpoint) return 'its regional endpoint';
  try {
    return new URL(endpoint).host;
  } catch {
    return 'the configured endpoint';
  }
}
