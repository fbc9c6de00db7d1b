/**
 * A small CloudWatch Logs stand-in speaking the AWS JSON 1.1 protocol (`X-Amz-Target:
 * Logs_20140328.<Operation>`): DescribeLogGroups and FilterLogEvents over groups kept in memory. It
 * checks the SigV4 `Authorization` header (the access key always; the signature itself when given the
 * secret key), evaluates prefixes, time bounds and plain-term filter patterns, pages with nextToken, and
 * answers AWS-shaped errors (`{__type, message}` + `x-amzn-ErrorType`).
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeLogEvent {
  timestamp: number;
  message: string;
}

export interface RecordedCloudWatchRequest {
  /** The operation, e.g. `FilterLogEvents`. */
  target: string;
  headers: IncomingHttpHeaders;
  body: any;
}

export interface FakeCloudWatch {
  url: string;
  /** Adds events to a stream of a group (both created on first use). */
  putEvents(group: string, stream: string, events: FakeLogEvent[]): void;
  /** Creates an empty group. */
  addGroup(group: string): void;
  requests: RecordedCloudWatchRequest[];
  close(): Promise<void>;
}

export interface FakeCloudWatchOptions {
  accessKey: string;
  /** When given, the SigV4 signature is verified too. */
  secretKey?: string;
  /** Largest page the fake answers, whatever `limit` asks (to exercise nextToken). */
  pageSize?: number;
}

class AwsFault extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const invalid = (message: string) => new AwsFault('InvalidParameterException', message);
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function checkSignature(headers: IncomingHttpHeaders, body: Buffer, opts: FakeCloudWatchOptions): void {
  const auth = headers.authorization;
  if (!auth) throw new AwsFault('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const parsed = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/.exec(
    auth,
  );
  if (!parsed) throw new AwsFault('IncompleteSignatureException', 'Authorization header is not SigV4');
  const [, accessKey, scope, signedHeaders, signature] = parsed as unknown as string[];
  if (accessKey !== opts.accessKey) {
    throw new AwsFault('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  if (opts.secretKey === undefined) return;
  const [date, region, service] = scope!.split('/');
  const canonicalHeaders = signedHeaders!
    .split(';')
    .map(
      (name) =>
        `${name}:${String(headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payloadHash = String(headers['x-amz-content-sha256'] ?? sha256(body));
  const canonical = ['POST', '/', '', canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', String(headers['x-amz-date']), scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${opts.secretKey}`, date!);
  for (const part of [region!, service!, 'aws4_request']) key = hmac(key, part);
  if (hmac(key, toSign).toString('hex') !== signature) {
    throw new AwsFault(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
}

/** Plain-term patterns: all terms must appear (case-sensitive), "quoted phrases" allowed, -term excludes. */
function compilePattern(pattern: string | undefined): (message: string) => boolean {
  if (pattern === undefined || pattern.trim() === '') return () => true;
  if (/[{}[\]$%?]/.test(pattern)) throw invalid('Invalid filter pattern (this fake knows plain terms only)');
  const terms = pattern.match(/-?"[^"]*"|\S+/g) ?? [];
  const checks = terms.map((raw) => {
    const negate = raw.startsWith('-');
    const term = (negate ? raw.slice(1) : raw).replace(/^"(.*)"$/, '$1');
    return (message: string) => message.includes(term) !== negate;
  });
  return (message) => checks.every((check) => check(message));
}

interface StoredEvent extends FakeLogEvent {
  logStreamName: string;
  eventId: string;
  ingestionTime: number;
}

function pageOf<T>(items: T[], nextToken: unknown, size: number): { page: T[]; nextToken?: string } {
  const start = nextToken === undefined ? 0 : Number(String(nextToken).replace(/^page-/, ''));
  if (!Number.isInteger(start) || start < 0) throw invalid('The specified nextToken is invalid.');
  const end = start + size;
  return { page: items.slice(start, end), ...(end < items.length ? { nextToken: `page-${end}` } : {}) };
}

function intIn(value: unknown, min: number, max: number, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw invalid(`1 validation error detected: Value at '${name}' failed to satisfy constraint`);
  }
  return value as number;
}

export async function startFakeCloudWatch(opts: FakeCloudWatchOptions): Promise<FakeCloudWatch> {
  const groups = new Map<string, StoredEvent[]>();
  const requests: RecordedCloudWatchRequest[] = [];
  let nextId = 1;

  const operations: Record<string, (input: any) => unknown> = {
    DescribeLogGroups(input) {
      const limit = intIn(input.limit, 1, 50, 50, 'limit');
      const prefix = input.logGroupNamePrefix;
      if (prefix !== undefined && (typeof prefix !== 'string' || prefix === ''))
        throw invalid('bad logGroupNamePrefix');
      const names = [...groups.keys()].filter((n) => prefix === undefined || n.startsWith(prefix)).sort();
      const { page, nextToken } = pageOf(names, input.nextToken, Math.min(limit, opts.pageSize ?? limit));
      const logGroups = page.map((logGroupName) => ({
        logGroupName,
        arn: `arn:aws:logs:us-east-1:123456789012:log-group:${logGroupName}:*`,
        creationTime: 1_700_000_000_000,
        storedBytes: 0,
      }));
      return { logGroups, ...(nextToken ? { nextToken } : {}) };
    },
    FilterLogEvents(input) {
      if (typeof input.logGroupName !== 'string') throw invalid("Value at 'logGroupName' failed to satisfy constraint");
      const events = groups.get(input.logGroupName);
      if (!events) throw new AwsFault('ResourceNotFoundException', 'The specified log group does not exist.');
      const limit = intIn(input.limit, 1, 10_000, 10_000, 'limit');
      const start = input.startTime as number | undefined;
      const end = input.endTime as number | undefined;
      if (start !== undefined && end !== undefined && start > end) throw invalid('startTime must not be after endTime');
      const matches = compilePattern(input.filterPattern);
      const found = events
        .filter((e) => (start === undefined || e.timestamp >= start) && (end === undefined || e.timestamp <= end))
        .filter((e) => matches(e.message))
        .sort((a, b) => a.timestamp - b.timestamp);
      const { page, nextToken } = pageOf(found, input.nextToken, Math.min(limit, opts.pageSize ?? limit));
      return { events: page, searchedLogStreams: [], ...(nextToken ? { nextToken } : {}) };
    },
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.replace(/^Logs_20140328\./, '');
      const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-requestid': `req-${nextId++}`,
          ...headers,
        });
        res.end(JSON.stringify(payload));
      };
      try {
        let body: any;
        try {
          body = JSON.parse(raw.toString('utf8') || '{}');
        } catch {
          throw new AwsFault('SerializationException', 'Request body is not JSON');
        }
        requests.push({ target: operation, headers: req.headers, body });
        if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-amz-json-1.1') {
          throw new AwsFault('UnknownOperationException', 'Expected a POST with application/x-amz-json-1.1');
        }
        checkSignature(req.headers, raw, opts);
        const handler = target.startsWith('Logs_20140328.') ? operations[operation] : undefined;
        if (!handler) throw new AwsFault('UnknownOperationException', `Unknown operation ${target}`);
        reply(200, handler(body));
      } catch (error) {
        const fault =
          error instanceof AwsFault ? error : new AwsFault('ServiceUnavailableException', String(error), 500);
        reply(fault.status, { __type: fault.type, message: fault.message }, { 'x-amzn-errortype': `${fault.type}:` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    putEvents(group, stream, events) {
      const list = groups.get(group) ?? [];
      for (const e of events) {
        list.push({ ...e, logStreamName: stream, eventId: String(nextId++), ingestionTime: e.timestamp + 5 });
      }
      groups.set(group, list);
    },
    addGroup(group) {
      if (!groups.has(group)) groups.set(group, []);
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
