import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { isDeniedAddress, type OutboundPolicy } from './outbound.js';

/**
 * Which git remotes the server may fetch from and push to. Users give git URLs (catalog repositories,
 * config repositories), and git can reach much more than HTTP does: other transports run programs
 * (`ext::sh -c …`), options hide in URLs (`--upload-pack=…`, `ssh://-oProxyCommand=…`), and a local path
 * reads any repository on the server's disk. So a URL is accepted only in one of these shapes:
 * - `https://host[:port]/path`, without credentials (they come from a credential, never the URL);
 * - `ssh://[user@]host[:port]/path` and the short `[user@]host:path`;
 * - `file:///path` and absolute paths, only when local repositories are allowed.
 * Hosts are checked against the outbound policy, literally here and after DNS resolution before each
 * run (`resolveGitTarget`), and git is then made to connect to the address that was checked.
 */
export interface GitUrlPolicy {
  outbound: OutboundPolicy;
  /** `file://` URLs and local paths (GANTRY_GIT_ALLOW_LOCAL). */
  allowLocal: boolean;
}

/** The rule a refused URL broke; named in every message. */
export type GitUrlRule = 'syntax' | 'option' | 'transport' | 'scheme' | 'credentials' | 'network' | 'local';

export class GitUrlError extends Error {
  constructor(
    public readonly rule: GitUrlRule,
    problem: string,
  ) {
    super(`git URL refused (rule "${rule}"): ${problem}`);
    this.name = 'GitUrlError';
  }
}

export type GitTarget =
  | { kind: 'https'; url: string; host: string; port: number }
  | { kind: 'ssh'; url: string; user: string | undefined; host: string; port: number; path: string }
  | { kind: 'local'; url: string; path: string };

const MAX_URL_LENGTH = 2048;
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
/** git's `<transport>::<address>` form, which runs the helper `git-remote-<transport>` (ext, fd, …). */
const TRANSPORT_HELPER = /^[a-z][a-z0-9+.-]*::/i;
/** `[user@]host:path`, git's scp-like ssh form: a colon before any slash. */
const SCP_LIKE = /^(?:([^@/]+)@)?(\[[^\]/]+\]|[^:/[\]]+):(.*)$/;
const SSH_SCHEMES = new Set(['ssh', 'git+ssh', 'ssh+git']);
/** An ssh host as written: a name, an IPv4 spelling, or a bracketed IPv6 address. */
const SSH_HOST = /^(?:[a-z0-9_.-]+|\[[0-9a-f:.]+\])$/i;
/** An ssh user name as hosting services use them (`git`, `org-123`, CodeCommit key ids). */
const SSH_USER = /^[a-z0-9._~+-]+$/i;

function checkUser(user: string | undefined): void {
  if (user === undefined) return;
  if (user.startsWith('-')) throw new GitUrlError('option', 'a user name may not start with "-"');
  if (!SSH_USER.test(user)) throw new GitUrlError('syntax', 'the user name has characters ssh users do not have');
}

/**
 * The host as WHATWG parsing normalizes it for https (decimal, octal and hex IPv4 spellings become
 * dotted quads, IPv6 loses its brackets), so `2852039166` cannot slip past as something other than
 * 169.254.169.254. ssh URLs are not special in WHATWG and would keep such spellings as they are.
 */
function normalizeHost(raw: string): string | undefined {
  if (!SSH_HOST.test(raw)) return undefined;
  try {
    const host = new URL(`https://${raw}/`).hostname;
    return host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  } catch {
    return undefined;
  }
}

function checkHost(host: string, policy: GitUrlPolicy): void {
  if (host.startsWith('-')) throw new GitUrlError('option', 'a host may not start with "-"');
  if (isDeniedAddress(host, policy.outbound)) {
    throw new GitUrlError('network', `${host} is in a network this server may not call`);
  }
  if (policy.outbound.blockedNames.has(host.replace(/\.$/, ''))) {
    throw new GitUrlError('network', `${host} is a host this server may not call`);
  }
}

function local(path: string, url: string, policy: GitUrlPolicy): GitTarget {
  if (!policy.allowLocal) {
    throw new GitUrlError(
      'local',
      'local repositories (file:// URLs and paths) are off on this server (GANTRY_GIT_ALLOW_LOCAL)',
    );
  }
  if (!path.startsWith('/')) throw new GitUrlError('syntax', 'a local repository must be an absolute path');
  return { kind: 'local', url, path };
}

/** Parses and checks a git URL; throws a GitUrlError naming the rule it broke. */
export function parseGitUrl(raw: string, policy: GitUrlPolicy): GitTarget {
  if (typeof raw !== 'string' || raw.length === 0) throw new GitUrlError('syntax', 'the URL is empty');
  if (raw.length > MAX_URL_LENGTH) throw new GitUrlError('syntax', `the URL is longer than ${MAX_URL_LENGTH}`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\s\x00-\x1f\x7f]/.test(raw)) throw new GitUrlError('syntax', 'the URL contains spaces or control characters');
  if (raw.startsWith('-')) throw new GitUrlError('option', 'a URL may not start with "-" (git would read an option)');
  if (TRANSPORT_HELPER.test(raw)) {
    throw new GitUrlError('transport', `the "${raw.split('::')[0]}::" transport is not allowed, use https or ssh`);
  }

  const scheme = SCHEME.exec(raw)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new GitUrlError('syntax', 'the URL cannot be parsed');
    }
    if (scheme === 'file') {
      if (url.host !== '' && url.hostname !== 'localhost') {
        throw new GitUrlError('syntax', 'a file:// URL may not name a host');
      }
      return local(fileURLToPath(url), raw, policy);
    }
    if (scheme === 'https' || SSH_SCHEMES.has(scheme)) {
      const ssh = scheme !== 'https';
      if (url.password || (!ssh && url.username)) {
        throw new GitUrlError('credentials', 'URLs must not embed credentials: store them in a credential');
      }
      if (url.hostname.startsWith('-')) throw new GitUrlError('option', 'a host may not start with "-"');
      const host = normalizeHost(url.hostname);
      if (!host) throw new GitUrlError('syntax', 'the URL has no valid host');
      checkHost(host, policy);
      if (!ssh) return { kind: 'https', url: url.href, host, port: Number(url.port || 443) };
      const user = url.username ? decodeURIComponent(url.username) : undefined;
      checkUser(user);
      const path = decodeURIComponent(url.pathname);
      if (path === '' || path === '/') throw new GitUrlError('syntax', 'the URL names no repository');
      return { kind: 'ssh', url: raw, user, host, port: Number(url.port || 22), path };
    }
    if (scheme === 'http') throw new GitUrlError('scheme', 'http URLs are not allowed (unencrypted), use https');
    if (scheme === 'git') throw new GitUrlError('scheme', 'git:// URLs are not allowed (unencrypted), use https');
    throw new GitUrlError('scheme', `${scheme} URLs are not allowed, use https or ssh`);
  }

  if (raw.startsWith('/') || raw.startsWith('.') || raw.startsWith('~')) return local(raw, raw, policy);
  const scp = SCP_LIKE.exec(raw);
  if (scp) {
    const [, user, rawHost, path] = scp as unknown as [string, string | undefined, string, string];
    checkUser(user);
    if (rawHost.startsWith('-')) throw new GitUrlError('option', 'a host may not start with "-"');
    if (path.startsWith('-')) throw new GitUrlError('option', 'a repository path may not start with "-"');
    if (path === '') throw new GitUrlError('syntax', 'the URL names no repository');
    const host = normalizeHost(rawHost);
    if (!host) throw new GitUrlError('syntax', 'the URL has no valid host');
    checkHost(host, policy);
    return { kind: 'ssh', url: raw, user, host, port: 22, path };
  }
  // A bare relative path: git would read it relative to the server's working directory.
  return local(raw, raw, policy);
}

/** A problem sentence naming the rule, or undefined: for checking a URL when a configuration is written. */
export function gitUrlProblem(raw: string, policy: GitUrlPolicy): string | undefined {
  try {
    parseGitUrl(raw, policy);
    return undefined;
  } catch (error) {
    if (error instanceof GitUrlError) return error.message;
    throw error;
  }
}

export type GitHostLookup = (host: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: GitHostLookup = (host) => dnsLookup(host, { all: true });

/**
 * Resolves a remote's host and checks every address it resolves to; returns the address git must
 * connect to (it is pinned: `http.curloptResolve` for https, `HostName` for ssh), so a name that
 * resolves elsewhere between this check and the connection cannot reach a denied network.
 * Throws a GitUrlError (rule "network") for a denied address; DNS failures reject as they are.
 */
export async function resolveGitTarget(
  target: Extract<GitTarget, { host: string }>,
  outbound: OutboundPolicy,
  lookup: GitHostLookup = systemLookup,
): Promise<string> {
  if (isIP(target.host)) return target.host;
  const addresses = await lookup(target.host);
  const denied = addresses.find((a) => isDeniedAddress(a.address, outbound));
  if (denied) {
    throw new GitUrlError('network', `${target.host} resolves to ${denied.address}, which this server may not call`);
  }
  const first = addresses[0];
  if (!first) throw Object.assign(new Error(`${target.host} did not resolve`), { code: 'ENOTFOUND' });
  return first.address;
}
