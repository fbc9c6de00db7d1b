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
  /** Networks no setting can open (metadata services and other never-legitimate addresses). */
  readonly alwaysBlocked: BlockList;
  /** Networks denied unless allowed (loopback and private by default, plus operator additions). */
  readonly blocked: BlockList;
  /** Networks the operator opened (GANTRY_OUTBOUND_ALLOW): loopback, private or CIDR blocks. */
  readonly allowed: BlockList;
  readonly blockedNames: ReadonlySet<string>;
  /** The denied entries, for messages and docs. */
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
 * Denied unless GANTRY_OUTBOUND_ALLOW opens them: on a shared install any organization admin chooses
 * the URLs the server calls, and must not reach the server's own machine or its private network.
 */
export const DENIED_BY_DEFAULT = ['loopback', 'private'] as const;

/**
 * Builds a policy: ALWAYS_DENIED, then DENIED_BY_DEFAULT and `deny` (network names and CIDR blocks,
 * comma-separated) unless `allow` opens them (`loopback`, `private`, CIDR blocks; never an always-denied
 * network). Throws a plain Error naming the bad entry (configuration errors).
 */
export function parseOutboundPolicy(deny: string, allow = ''): OutboundPolicy {
  const always = networks([...ALWAYS_DENIED]);
  const allowEntries = split(allow);
  for (const entry of allowEntries) {
    if ((ALWAYS_DENIED as readonly string[]).includes(entry)) throw new Error(`"${entry}" can never be allowed`);
  }
  const allowed = networks(allowEntries);
  const denyEntries = [...DENIED_BY_DEFAULT, ...split(deny)].filter((entry) => !allowEntries.includes(entry));
  const blocked = networks(denyEntries);
  for (const name of allowed.names) blocked.names.delete(name);
  return {
    alwaysBlocked: always.list,
    blocked: blocked.list,
    allowed: allowed.list,
    blockedNames: new Set([...always.names, ...blocked.names]),
    entries: [...new Set([...ALWAYS_DENIED, ...denyEntries])],
  };
}

function split(spec: string): string[] {
  return [
    ...new Set(
      spec
        .split(',')
        .map((e) => e.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
}

function networks(entries: readonly string[]): { list: BlockList; names: Set<string> } {
  const list = new BlockList();
  const names = new Set<string>();
  for (const entry of entries) {
    const named = NAMED_NETWORKS[entry];
    if (named) {
      for (const cidr of named.v4) addSubnet(list, cidr, 'ipv4');
      for (const cidr of named.v6) addSubnet(list, cidr, 'ipv6');
      for (const name of named.names ?? []) names.add(name);
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
    addSubnet(list, `${address}/${prefix}`, type);
  }
  return { list, names };
}

function addSubnet(list: BlockList, cidr: string, type: 'ipv4' | 'ipv6'): void {
  const [address, bits] = cidr.split('/') as [string, string];
  list.addSubnet(address, Number(bits), type);
}

export const DEFAULT_OUTBOUND_POLICY: OutboundPolicy = parseOutboundPolicy('');

function deniedIn(policy: OutboundPolicy, address: string, type: 'ipv4' | 'ipv6'): boolean {
  if (policy.alwaysBlocked.check(address, type)) return true;
  if (policy.allowed.check(address, type)) return false;
  return policy.blocked.check(address, type);
}

/**
 * Whether an address falls in a denied network. An IPv6 address that carries an IPv4 one (mapped
 * `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) is judged by both.
 */
export function isDeniedAddress(address: string, policy: OutboundPolicy): boolean {
  const family = isIP(address);
  if (family === 4) return deniedIn(policy, address, 'ipv4');
  if (family !== 6) return false;
  if (deniedIn(policy, address, 'ipv6')) return true;
  const v4 = embeddedIPv4(address);
  return v4 !== undefined && deniedIn(policy, v4, 'ipv4');
}

/** The IPv4 address an IPv6 address embeds, if it is of a form that reaches IPv4 hosts. */
export function embeddedIPv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  if (!groups) return undefined;
  const v4 = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  const zeros = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible; not :: and ::1 themselves).
  if (zeros(0, 5) && groups[5] === 0xffff) return v4(groups[6], groups[7]);
  if (zeros(0, 6) && (groups[6] !== 0 || groups[7] > 1)) return v4(groups[6], groups[7]);
  // NAT64 well-known prefix 64:ff9b::/96.
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6)) return v4(groups[6], groups[7]);
  // 6to4: 2002:AABB:CCDD::/48 reaches AA.BB.CC.DD.
  if (groups[0] === 0x2002) return v4(groups[1], groups[2]);
  return undefined;
}

/** Eight 16-bit groups of an IPv6 address (with `::` expanded and a dotted IPv4 tail converted). */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const first = parse(head);
  const last = tail === undefined ? [] : parse(tail);
  const groups = tail === undefined ? first : [...first, ...Array(8 - first.length - last.length).fill(0), ...last];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
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

/** How names are resolved: the system's resolver, or another with the same shape (tests, custom DNS). */
export type Resolver = (
  hostname: string,
  options: { all: true; family?: number },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A DNS lookup that refuses names resolving into denied networks (for http Agents and SDK handlers).
 * It runs when the connection is made, so a name that resolved to a public address when it was
 * checked and to a private one now (DNS rebinding) is refused, and the checked address is the one used.
 */
export function guardedLookup(policy: OutboundPolicy, resolve: Resolver = dnsLookup as Resolver): LookupFunction {
  return ((hostname: string, options: any, callback: any) => {
    if (policy.blockedNames.has(hostname.toLowerCase().replace(/\.$/, ''))) {
      callback(new OutboundError('denied', `${hostname} is a host this server may not call`));
      return;
    }
    resolve(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
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
  /** Name resolution (default: the system's). */
  resolver?: Resolver;
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
      lookup: guardedLookup(policy, request.resolver),
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
