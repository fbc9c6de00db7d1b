import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ssh2 from 'ssh2';
import { GitError, type GitFailure } from '../../src/platform/git/index.js';
import { type OutboundPolicy, parseOutboundPolicy } from '../../src/platform/net/outbound.js';

const TLS = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tls');
export const TEST_CA = readFileSync(join(TLS, 'ca.pem'), 'utf8');

/**
 * A skip message when a program the test needs is missing; under CI=true a missing program fails the
 * test file instead, so CI never passes by skipping.
 */
export function missingPrograms(...programs: string[]): string | undefined {
  const missing = programs.filter((p) => spawnSync(p, ['-V'], { stdio: 'ignore' }).error !== undefined);
  if (missing.length === 0) return undefined;
  const message = `needs ${missing.join(', ')} (not installed here)`;
  if (process.env.CI === 'true') throw new Error(`${message}: required under CI`);
  return message;
}

/** Environment of the git commands tests run themselves: no user or system configuration. */
const GIT_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: tmpdir(),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Fixture',
  GIT_AUTHOR_EMAIL: 'fixture@example.com',
  GIT_COMMITTER_NAME: 'Fixture',
  GIT_COMMITTER_EMAIL: 'fixture@example.com',
  LC_ALL: 'C',
};

export function gitSync(args: string[], cwd?: string): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * A bare repository at `<root>/<name>.git` whose branches hold the given files (one commit each);
 * `{}` makes an empty repository; `{symlink: target}` makes a symbolic link. Pushes over http are allowed.
 */
export function makeBareRepo(
  root: string,
  name: string,
  branches: Record<string, Record<string, string | Buffer | { symlink: string }>> = {},
): string {
  const bare = join(root, `${name}.git`);
  gitSync(['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  gitSync(['config', 'http.receivepack', 'true'], bare);
  for (const [branch, files] of Object.entries(branches)) {
    const work = mkdtempSync(join(tmpdir(), 'gantry-git-work-'));
    gitSync(['init', '--quiet', `--initial-branch=${branch}`], work);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      if (typeof content === 'object' && 'symlink' in content) symlinkSync(content.symlink, join(work, path));
      else writeFileSync(join(work, path), content);
    }
    gitSync(['add', '--all'], work);
    gitSync(['commit', '--quiet', '-m', `fixture ${branch}`], work);
    gitSync(['push', '--quiet', bare, `${branch}:refs/heads/${branch}`], work);
  }
  return bare;
}

export interface GitHttpServer {
  /** `https://127.0.0.1:<port>/<name>.git` */
  url(name: string): string;
  port: number;
  /** Request lines and Authorization headers seen, to check where credentials travelled. */
  seen: { url: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

/**
 * `git http-backend` (CGI) behind an https server with the test certificate and basic authentication,
 * serving the bare repositories under `root`.
 */
export async function startGitHttpServer(root: string, username: string, password: string): Promise<GitHttpServer> {
  const backend = join(execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim(), 'git-http-backend');
  const expected = Buffer.from(`Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`);
  const seen: GitHttpServer['seen'] = [];
  const server: Server = createServer(
    { key: readFileSync(join(TLS, 'server.key')), cert: readFileSync(join(TLS, 'server.pem')) },
    (req: IncomingMessage, res) => {
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('authentication required\n');
        return;
      }
      const url = new URL(req.url ?? '/', 'https://localhost');
      const cgi = spawn(backend, [], {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_PROJECT_ROOT: root,
          GIT_HTTP_EXPORT_ALL: '1',
          GIT_HTTP_MAX_REQUEST_BUFFER: '100M',
          REQUEST_METHOD: req.method ?? 'GET',
          PATH_INFO: decodeURIComponent(url.pathname),
          QUERY_STRING: url.search.slice(1),
          CONTENT_TYPE: req.headers['content-type'] ?? '',
          REMOTE_USER: username,
          REMOTE_ADDR: '127.0.0.1',
          GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
          HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
        },
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      req.pipe(cgi.stdin);
      let head = Buffer.alloc(0);
      let headersDone = false;
      cgi.stdout.on('data', (chunk: Buffer) => {
        if (headersDone) {
          res.write(chunk);
          return;
        }
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        headersDone = true;
        let status = 200;
        for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
          const colon = line.indexOf(':');
          const name = line.slice(0, colon).trim();
          const value = line.slice(colon + 1).trim();
          if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
          else res.setHeader(name, value);
        }
        res.writeHead(status);
        res.write(head.subarray(end + 4));
      });
      cgi.stdout.on('end', () => res.end());
      cgi.on('error', () => res.destroy());
    },
  );
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    seen,
    url: (name) => `https://127.0.0.1:${port}/${name}.git`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

export interface SshKeyPair {
  /** OpenSSH private key. */
  privateKey: string;
  /** `ssh-ed25519 AAAA…` */
  publicKey: string;
}

export function sshKeyPair(passphrase?: string): SshKeyPair {
  const pair = passphrase
    ? ssh2.utils.generateKeyPairSync('ed25519', { passphrase, cipher: 'aes256-ctr', rounds: 4 })
    : ssh2.utils.generateKeyPairSync('ed25519');
  return { privateKey: pair.private, publicKey: pair.public };
}

export interface GitSshServer {
  port: number;
  /** `ssh://git@127.0.0.1:<port>/<name>.git` (the short `git@host:path` form has no port). */
  url(name: string): string;
  /** The known_hosts line for this server. */
  knownHostsLine: string;
  /** Commands clients ran. */
  commands: string[];
  close(): Promise<void>;
}

/**
 * An ssh server (npm ssh2) on a random loopback port that accepts the given public keys and runs
 * `git-upload-pack` / `git-receive-pack` on repositories under `root`; nothing else.
 */
export async function startGitSshServer(root: string, authorizedKeys: string[]): Promise<GitSshServer> {
  const host = sshKeyPair();
  const allowed = authorizedKeys.map((key) => {
    const parsed = ssh2.utils.parseKey(key);
    if (parsed instanceof Error) throw parsed;
    return parsed;
  });
  const commands: string[] = [];
  const server = new ssh2.Server({ hostKeys: [host.privateKey] }, (client) => {
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const match = allowed.find(
        (key) => key.type === ctx.key.algo && Buffer.compare(key.getPublicSSH(), ctx.key.data) === 0,
      );
      if (!match) return ctx.reject(['publickey']);
      if (ctx.signature && ctx.blob && match.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
        return ctx.reject(['publickey']);
      }
      ctx.accept();
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        const env: Record<string, string> = {};
        session.on('env', (accept, _reject, info) => {
          if (info.key === 'GIT_PROTOCOL') env.GIT_PROTOCOL = info.val;
          accept?.();
        });
        session.on('exec', (accept, reject, info) => {
          commands.push(info.command);
          const match = /^(git-upload-pack|git-receive-pack|git upload-pack|git receive-pack) '([^']+)'$/.exec(
            info.command,
          );
          const path = match ? resolve(root, `.${sep}${match[2]!.replace(/^\/+/, '')}`) : '';
          if (!match || !path.startsWith(root + sep)) return reject();
          const stream = accept();
          const child = spawn('git', [match[1]!.replace(/^git[ -]/, ''), path], {
            env: {
              PATH: process.env.PATH ?? '/usr/bin:/bin',
              GIT_CONFIG_NOSYSTEM: '1',
              GIT_CONFIG_GLOBAL: '/dev/null',
              ...env,
            },
          });
          stream.pipe(child.stdin);
          child.stdout.pipe(stream, { end: false });
          child.stderr.pipe(stream.stderr, { end: false });
          child.on('close', (code) => {
            stream.exit(code ?? 1);
            stream.end();
          });
          stream.on('error', () => child.kill());
        });
      });
    });
    client.on('error', () => {});
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const [type, key] = host.publicKey.split(' ');
  return {
    port,
    commands,
    knownHostsLine: `[127.0.0.1]:${port} ${type} ${key}`,
    url: (name) => `ssh://git@127.0.0.1:${port}/${name}.git`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/**
 * The outbound policy git tests use: loopback allowed explicitly (the test servers listen there), the
 * always-denied networks kept. Fails loudly if the default stops allowing loopback.
 */
export function loopbackAllowedPolicy(): OutboundPolicy {
  return parseOutboundPolicy('', 'loopback');
}

/** What a git layer logged, for tests that check outcomes are logged and secrets are not. */
export interface LogRecord {
  level: string;
  fields: object;
  message: string;
}

export function recordingLogger(records: LogRecord[]) {
  const at = (level: string) => (fields: object, message: string) => records.push({ level, fields, message });
  return { debug: at('debug'), info: at('info'), warn: at('warn') };
}

export async function rejectsGit(promise: Promise<unknown>, reason: GitFailure, pattern?: RegExp): Promise<GitError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof GitError, `expected a GitError, got ${String(error)}`);
    assert.equal(error.reason, reason, error.message);
    if (pattern) assert.match(error.message, pattern);
    return error;
  }
  assert.fail(`expected a ${reason} rejection`);
}
