import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';

/**
 * Every request the server makes to an address a user configured (log stores, cloud APIs, state
 * backends) goes through here, so a backend cannot be pointed at the cloud metadata service or at other
 * networks the operator closed. Addresses are checked twice: literally when a configuration is written,
 * and after DNS resolution when connecting, so a name that later resolves elsewhere is still refused.
 */
export interface OutboundPolicy {
  readonly blocked: BlockList;
  readonly blockedNames: ReadonlySet<string>;
  /** The entries the policy was built from, for messages and docs. */
  readonly entries: readonly string[];
}

const NAMED_NETWORKS: Record<string, { v4: string[]; v6: string[]; names?: string[] }> = {
  // Cloud metadata services outside link-local: AWS over IPv6, Alibaba Cloud; and the names of GCP's.
  metadata: {
    v4: ['100.100.100.200/32'],
    v6: ['fd00:ec2::254/128'],
    names: ['metadata.google.internal', 'metadata.goog'],
  },
  // Link-local holds most metadata services (169.254.169.254 on AWS, GCP, Azure, OpenStack).
  'link-local': { v4: ['169.254.0.0/16'], v6: ['fe80::/10'] },
  unspecified: { v4: ['0.0.0.0/8'], v6: ['::/128'] },
  multicast: { v4: ['224.0.0.0/4'], v6: ['ff00::/8'] },
  reserved: { v4: ['240.0.0.0/4'], v6: [] },
  loopback: { v4: ['127.0.0.0/8'], v6: ['::1/128'], names: ['localhost'] },
  private: { v4: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'], v6: ['fc00::/7'] },
};

/** Always denied: nothing a backend legitimately lives at, and where metadata services do. */
export const ALWAYS_DENIED = ['metadata', 'link-local', 'unspecified', 'multicast', 'reserved'] as const;

/**
 * Builds a policy from a comma-separated list of network names (`loopback`, `private`, ...) and CIDR
 * blocks, added to ALWAYS_DENIED. Throws a plain Error naming the bad entry (configuration errors).
 */
export function parseOutboundPolicy(spec: string): OutboundPolicy {
  const blocked = new BlockList();
  const blockedNames = new Set<string>();
  const entries = [...ALWAYS_DENIED, ...spec.split(',').map((e) => e.trim().toLowerCase())].filter(Boolean);
  const unique = [...new Set(entries)];
  for (const entry of unique) {
    const named = NAMED_NETWORKS[entry];
    if (named) {
      for (const cidr of named.v4) addSubnet(blocked, cidr, 'ipv4');
      for (const cidr of named.v6) addSubnet(blocked, cidr, 'ipv6');
      for (const name of named.names ?? []) blockedNames.add(name);
      continue;
    }
    const [address, bits] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0) {
      throw new Error(
        `"${entry}" is neither a network name (${Object.keys(NAMED_NETWORKS).join(', ')}) nor an address`,
      );
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) {
      throw new Error(`"${entry}" has an invalid prefix length`);
    }
    addSubnet(blocked, `${address}/${prefix}`, type);
  }
  return { blocked, blockedNames, entries: unique };
}

function addSubnet(list: BlockList, cidr: string, type: 'ipv4' | 'ipv6'): void {
  const [address, bits] = cidr.split('/') as [string, string];
  list.addSubnet(address, Number(bits), type);
}

export const DEFAULT_OUTBOUND_POLICY: OutboundPolicy = parseOutboundPolicy('');

/** Whether an address (v4, v6, or v4-mapped v6) falls in a denied network. */
export function isDeniedAddress(address: string, policy: OutboundPolicy): boolean {
  const family = isIP(address);
  if (family === 4) return policy.blocked.check(address, 'ipv4');
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return policy.blocked.check(mapped[1]!, 'ipv4');
  return policy.blocked.check(address, 'ipv6');
}

/** The host of a URL without IPv6 brackets, lower-cased; WHATWG parsing already normalized IPv4 forms. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

/**
 * A problem sentence for a URL a user wants the server to call, or undefined when acceptable. Used when
 * a configuration is written; names only the host, never credentials.
 */
export function outboundUrlProblem(raw: string, policy: OutboundPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `"${raw.slice(0, 200)}" is not a valid URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `${url.protocol.replace(/:$/, '')} URLs are not allowed, use http or https`;
  }
  if (url.username || url.password) return 'URLs must not embed credentials: store them in a credential';
  const host = hostOf(url);
  if (host === '') return 'the URL has no host';
  if (isDeniedAddress(host, policy))
    return `${host} is in a network this server may not call (${policy.entries.join(', ')})`;
  if (policy.blockedNames.has(host.replace(/\.$/, ''))) return `${host} is a host this server may not call`;
  return undefined;
}

export type OutboundFailure = 'denied' | 'timeout' | 'network' | 'too-large';

/** A failed outbound call. Messages name the host only: never headers, bodies or credentials. */
export class OutboundError extends Error {
  constructor(
    public readonly kind: OutboundFailure,
    message: string,
  ) {
    super(message);
    this.name = 'OutboundError';
  }
}

/** A DNS lookup that refuses names resolving into denied networks (for http Agents and SDK handlers). */
export function guardedLookup(policy: OutboundPolicy): LookupFunction {
  return ((hostname: string, options: any, callback: any) => {
    if (policy.blockedNames.has(hostname.toLowerCase().replace(/\.$/, ''))) {
      callback(new OutboundError('denied', `${hostname} is a host this server may not call`));
      return;
    }
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      const denied = addresses.find((a) => isDeniedAddress(a.address, policy));
      if (denied) {
        return callback(
          new OutboundError('denied', `${hostname} resolves to ${denied.address}, which this server may not call`),
        );
      }
      if (options?.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new OutboundError('network', `${hostname} did not resolve`));
      callback(null, first.address, first.family);
    });
  }) as LookupFunction;
}

export interface OutboundRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Extra PEM certificate authority for https, trusted besides the public ones. */
  ca?: string;
  /** Defaults to true. */
  rejectUnauthorized?: boolean;
  /** Whole-request deadline in ms (default 15 s). */
  timeoutMs?: number;
  /** Default 10 MiB. */
  maxResponseBytes?: number;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One HTTP(S) request under the policy. Redirects are not followed (they would bypass the URL check). */
export function outboundRequest(
  rawUrl: string,
  request: OutboundRequest,
  policy: OutboundPolicy,
): Promise<OutboundResponse> {
  const problem = outboundUrlProblem(rawUrl, policy);
  if (problem) return Promise.reject(new OutboundError('denied', problem));
  const url = new URL(rawUrl);
  const host = hostOf(url);
  const timeoutMs = request.timeoutMs ?? 15_000;
  const maxBytes = request.maxResponseBytes ?? 10 * 1024 * 1024;
  const secure = url.protocol === 'https:';
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const headers: Record<string, string> = { ...request.headers };
  if (body && headers['content-length'] === undefined) headers['content-length'] = String(body.length);

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: OutboundError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error);
    };
    const options: https.RequestOptions = {
      method: request.method ?? 'GET',
      headers,
      lookup: guardedLookup(policy),
      // Node's `ca` replaces the public authorities: keep them, so a private CA adds trust, not removes it.
      ...(secure
        ? {
            ca: request.ca ? [...rootCertificates, request.ca] : undefined,
            rejectUnauthorized: request.rejectUnauthorized ?? true,
          }
        : {}),
      agent: false,
    };
    const req = (secure ? https : http).request(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) fail(new OutboundError('too-large', `${host} answered more than ${maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', () => fail(new OutboundError('network', `the connection to ${host} broke`)));
    });
    const timer = setTimeout(
      () => fail(new OutboundError('timeout', `${host} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof OutboundError) fail(error);
      else fail(new OutboundError('network', `${host} could not be reached (${error.code ?? 'connection failed'})`));
    });
    req.end(body);
  });
}
