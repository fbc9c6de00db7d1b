import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import {
  type GitHostLookup,
  type GitTarget,
  GitUrlError,
  type GitUrlPolicy,
  parseGitUrl,
  resolveGitTarget,
} from '../net/git-url.js';
import { quoteUpstream } from '../net/upstream-text.js';
import { ProcessError, type ProcessLogger, type RunOptions, type RunResult, runProcess } from '../proc/index.js';
import { classifyGitStderr, GitError } from './errors.js';
import { baseGitEnv, type GitRemote, type GitSession, remoteSession } from './session.js';

/**
 * Git for the modules (catalog repositories, config repositories): the `git` program run through
 * platform/proc, against remotes the URL policy accepted, with a cache of bare repositories under the
 * data directory. See docs/git.md.
 *
 * - The cache holds one bare repository per remote URL (`<data dir>/git/repos/<hash>`), fetched one
 *   branch at a time, shallow. It never answers for the remote: `sync` fetches every time, so a caller
 *   whose credential the remote refuses gets an error, not what another caller fetched before.
 * - Nothing is ever checked out: files are read from objects, and commits are built from a temporary
 *   index, so no file of a repository lands on the server's disk as a file.
 * - One writer per repository: fetches and commits of one cache directory run one at a time.
 */
export interface GitOptions {
  dataDir: string;
  urlPolicy: GitUrlPolicy;
  logger: GitLogger;
  /** Largest repository fetched (one branch, shallow), bytes. Default 200 MiB. */
  maxRepoBytes?: number;
  /** Largest file `readFile` returns, bytes. Default 10 MiB. */
  maxFileBytes?: number;
  /** Unknown ssh host keys: refused (default), or accepted and remembered on first use. */
  sshHostKeys?: 'strict' | 'accept-new';
  /** Default `<data dir>/git/known_hosts`. */
  knownHostsFile?: string;
  /** Limit of one network operation (ls-remote, fetch, push). Default 120 s. */
  timeoutMs?: number;
  /** Default `git` from PATH. */
  gitBinary?: string;
  /** Host resolution (tests). */
  lookup?: GitHostLookup;
}

export interface GitLogger extends ProcessLogger {
  info(fields: object, message: string): void;
}

export interface GitBranch {
  name: string;
  commit: string;
}

export interface GitFile {
  path: string;
  size: number;
  executable: boolean;
}

export interface GitAuthor {
  name: string;
  email: string;
}

export interface CommitRequest {
  remote: GitRemote;
  branch: string;
  author: GitAuthor;
  /** Default: the author. */
  committer?: GitAuthor;
  message: string;
  /** Files to write (content) or delete (null); everything else stays as it is on the branch. */
  files: { path: string; content: string | Buffer | null; executable?: boolean }[];
  /** Create the branch (with no parent) when the remote does not have it. Default false. */
  createBranch?: boolean;
}

export interface Git {
  /** Branches of a remote (`ls-remote --heads`); `[]` for an empty repository. */
  listBranches(remote: GitRemote): Promise<GitBranch[]>;
  /** Fetches the tip of one branch into the cache; returns the cache directory and the commit. */
  sync(remote: GitRemote, branch: string): Promise<{ dir: string; commit: string }>;
  /** A file's content at a commit of a synced repository. */
  readFile(dir: string, commit: string, path: string): Promise<Buffer>;
  /** Files at a commit (recursively), optionally under one directory. */
  listFiles(dir: string, commit: string, under?: string): Promise<GitFile[]>;
  /** Commits the given changes on top of the branch and pushes; `pushed` is false when nothing changed. */
  commitAndPush(request: CommitRequest): Promise<{ commit: string; pushed: boolean }>;
}

const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!.*\.lock(?:\/|$))(?!.*\/\.)(?!\.)[A-Za-z0-9._\-/+]+(?<![./])$/;
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const MAX_PATH = 4096;

function checkBranch(branch: string): void {
  if (typeof branch !== 'string' || branch.length > 255 || !BRANCH.test(branch)) {
    throw new GitError('invalid', `"${String(branch).slice(0, 100)}" is not a valid branch name`);
  }
}

/** A repository path: relative, no empty, `.`, `..` or `.git` segment, no control characters. */
function checkPath(path: string): void {
  const segments = typeof path === 'string' ? path.split('/') : [];
  if (
    typeof path !== 'string' ||
    path.length === 0 ||
    path.length > MAX_PATH ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    /[\x00-\x1f\x7f\\]/.test(path) ||
    segments.some((s) => s === '' || s === '.' || s === '..' || s.toLowerCase() === '.git')
  ) {
    throw new GitError('invalid', `"${String(path).slice(0, 200)}" is not a valid file path in a repository`);
  }
}

function checkAuthor(who: GitAuthor, role: string): void {
  const bad = (v: unknown) => typeof v !== 'string' || v.trim() === '' || v.length > 200 || /[<>\n\r\0]/.test(v);
  if (!who || bad(who.name) || bad(who.email)) {
    throw new GitError('invalid', `the ${role} needs a name and an email without <, > or line breaks`);
  }
}

async function directorySize(dir: string): Promise<number> {
  let total = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await directorySize(path);
    else if (entry.isFile())
      total += await stat(path).then(
        (s) => s.size,
        () => 0,
      );
  }
  return total;
}

const megabytes = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

export function createGit(options: GitOptions): Git {
  const git = options.gitBinary ?? 'git';
  const root = resolve(options.dataDir, 'git');
  const reposRoot = join(root, 'repos');
  const tmpRoot = join(root, 'tmp');
  const home = join(root, 'home');
  const knownHostsFile = options.knownHostsFile ?? join(root, 'known_hosts');
  const maxRepoBytes = options.maxRepoBytes ?? 200 * 1024 * 1024;
  const maxFileBytes = options.maxFileBytes ?? 10 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const log = options.logger;
  const locks = new Map<string, Promise<unknown>>();
  let prepared: Promise<void> | undefined;

  const prepare = () => {
    prepared ??= (async () => {
      for (const dir of [root, reposRoot, tmpRoot, home]) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await chmod(dir, 0o700);
      }
      if (!existsSync(knownHostsFile)) await writeFile(knownHostsFile, '', { mode: 0o600, flag: 'a' });
    })();
    return prepared;
  };

  /** Runs fn once the previous writer of this directory is done. */
  const exclusive = <T>(dir: string, fn: () => Promise<T>): Promise<T> => {
    const previous = locks.get(dir) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const settled = next.then(
      () => {},
      () => {},
    );
    locks.set(dir, settled);
    void settled.then(() => {
      if (locks.get(dir) === settled) locks.delete(dir);
    });
    return next;
  };

  const run = async (args: string[], runOptions: RunOptions): Promise<RunResult> => {
    try {
      return await runProcess(git, args, { inheritEnv: ['PATH'], logger: log, ...runOptions });
    } catch (error) {
      if (error instanceof ProcessError && error.reason === 'not-found') {
        throw new GitError('unavailable', 'git is not installed on this server (see docs/git.md)');
      }
      throw error;
    }
  };

  /** Fails with a GitError unless the run exited 0; `what` names the operation and the remote. */
  const check = (result: RunResult, what: string, secrets: readonly string[] = []): RunResult => {
    if (result.end === 'exited' && result.code === 0) return result;
    const said = quoteUpstream(result.stderr.replace(/^(hint|warning): .*$/gm, ''), secrets);
    let error: GitError;
    if (result.end === 'timeout') error = new GitError('timeout', `${what} did not finish in time`);
    else if (result.end === 'overflow') error = new GitError('too-large', `${what} printed too much`);
    else {
      const reason = classifyGitStderr(result.stderr);
      const hint =
        reason === 'host-key' ? ` (the server's ssh host key must be in ${knownHostsFile} or be accepted)` : '';
      error = new GitError(reason, `${what} failed: ${said || `exit code ${result.code}`}${hint}`);
    }
    log.warn({ reason: error.reason, durationMs: result.durationMs }, error.message);
    throw error;
  };

  const localEnv = (extra: Record<string, string> = {}) => ({ ...baseGitEnv(home), ...extra });

  const refused = (error: unknown): GitError => {
    if (!(error instanceof GitUrlError)) throw error;
    log.warn({ reason: 'refused', rule: error.rule }, error.message);
    return new GitError('refused', error.message);
  };

  /** Parses, checks and resolves a remote; opens a session with its credential. */
  const open = async (remote: GitRemote): Promise<{ target: GitTarget; session: GitSession; label: string }> => {
    await prepare();
    let target: GitTarget;
    try {
      target = parseGitUrl(remote.url, options.urlPolicy);
    } catch (error) {
      throw refused(error);
    }
    let address: string | undefined;
    if (target.kind !== 'local') {
      try {
        address = await resolveGitTarget(target, options.urlPolicy.outbound, options.lookup);
      } catch (error) {
        if (error instanceof GitUrlError) throw refused(error);
        const message = `${target.host} could not be resolved (${(error as NodeJS.ErrnoException).code ?? 'lookup failed'})`;
        log.warn({ reason: 'unreachable' }, message);
        throw new GitError('unreachable', message);
      }
    }
    const session = await remoteSession(target, address, remote, {
      tmpRoot,
      home,
      knownHostsFile,
      hostKeys: options.sshHostKeys ?? 'strict',
    });
    const label = target.kind === 'https' ? target.url : remote.url;
    return { target, session, label };
  };

  const cacheDir = (target: GitTarget) =>
    join(reposRoot, createHash('sha256').update(target.url).digest('hex').slice(0, 32));

  const repoDir = (dir: string): string => {
    const full = resolve(dir);
    if (!full.startsWith(reposRoot + sep) || !existsSync(join(full, 'HEAD'))) {
      throw new GitError('invalid', 'not a repository of the git cache');
    }
    return full;
  };

  /** Fetches one branch into dir (the caller holds the lock); the commit, or undefined if absent. */
  const fetchBranch = async (
    dir: string,
    target: GitTarget,
    session: GitSession,
    label: string,
    branch: string,
    allowMissing: boolean,
  ): Promise<string | undefined> => {
    if (!existsSync(join(dir, 'HEAD'))) {
      await rm(dir, { recursive: true, force: true });
      check(
        await run(['init', '--bare', '--quiet', '--template=', dir], { env: localEnv(), timeoutMs: 30_000 }),
        'git init',
      );
    }
    const ref = `refs/remotes/origin/${branch}`;
    const objects = join(dir, 'objects');
    const before = await directorySize(objects);
    const controller = new AbortController();
    let received = 0;
    const monitor = setInterval(async () => {
      received = (await directorySize(objects)) - before;
      if (received > maxRepoBytes && !controller.signal.aborted) controller.abort('repository too large');
    }, 200);
    let result: RunResult;
    try {
      result = await run(
        [
          '-C',
          dir,
          'fetch',
          '--quiet',
          '--no-tags',
          '--no-write-fetch-head',
          '--depth=1',
          '--',
          target.url,
          `+refs/heads/${branch}:${ref}`,
        ],
        {
          env: session.env,
          secrets: session.secrets,
          timeoutMs,
          signal: controller.signal,
          maxOutputBytes: 256 * 1024,
        },
      );
    } finally {
      clearInterval(monitor);
    }
    if (result.end === 'aborted') {
      await rm(dir, { recursive: true, force: true });
      const message = `${label} is larger than ${megabytes(maxRepoBytes)} (GANTRY_GIT_MAX_REPO_MB): more than ${megabytes(received)} received`;
      log.warn({ limit: maxRepoBytes, received }, message);
      throw new GitError('too-large', message);
    }
    if (result.end === 'exited' && result.code !== 0 && /couldn't find remote ref/i.test(result.stderr)) {
      if (allowMissing) return undefined;
      const error = new GitError('not-found', `branch ${branch} not found in ${label}`);
      log.warn({ reason: error.reason }, error.message);
      throw error;
    }
    check(result, `fetching ${branch} of ${label}`, session.secrets);
    const commit = check(
      await run(['-C', dir, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
        env: localEnv(),
        timeoutMs: 30_000,
      }),
      'git rev-parse',
    ).stdout.trim();
    // The size of what this branch's snapshot holds, whatever the cache kept from before.
    const usage = await run(['-C', dir, 'rev-list', '--objects', '--disk-usage', ref], {
      env: localEnv(),
      timeoutMs: 60_000,
    });
    const size = Number(usage.stdout.trim());
    if (usage.code === 0 && size > maxRepoBytes) {
      await rm(dir, { recursive: true, force: true });
      const message = `${label} is larger than ${megabytes(maxRepoBytes)} (GANTRY_GIT_MAX_REPO_MB): ${megabytes(size)}`;
      log.warn({ limit: maxRepoBytes, size }, message);
      throw new GitError('too-large', message);
    }
    return commit;
  };

  const sync = async (remote: GitRemote, branch: string) => {
    checkBranch(branch);
    const { target, session, label } = await open(remote);
    const dir = cacheDir(target);
    try {
      const started = Date.now();
      const commit = (await exclusive(dir, () => fetchBranch(dir, target, session, label, branch, false)))!;
      log.info({ branch, commit, durationMs: Date.now() - started }, `synced ${branch} of ${label}`);
      return { dir, commit };
    } finally {
      await session.dispose();
    }
  };

  const listBranches = async (remote: GitRemote): Promise<GitBranch[]> => {
    const { session, label, target } = await open(remote);
    try {
      const result = check(
        await run(['ls-remote', '--heads', '--', target.url], {
          cwd: tmpRoot,
          env: { ...session.env, GIT_CEILING_DIRECTORIES: tmpRoot },
          secrets: session.secrets,
          timeoutMs,
          maxOutputBytes: 16 * 1024 * 1024,
          onOverflow: 'kill',
        }),
        `listing the branches of ${label}`,
        session.secrets,
      );
      const branches: GitBranch[] = [];
      for (const line of result.stdout.split('\n')) {
        const match = /^([0-9a-f]{40,64})\trefs\/heads\/(.+)$/.exec(line);
        if (match) branches.push({ commit: match[1]!, name: match[2]! });
      }
      log.info({ count: branches.length, durationMs: result.durationMs }, `listed the branches of ${label}`);
      return branches.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } finally {
      await session.dispose();
    }
  };

  const readFile = async (dir: string, commit: string, path: string): Promise<Buffer> => {
    const repo = repoDir(dir);
    if (!COMMIT.test(commit)) throw new GitError('invalid', `"${String(commit).slice(0, 80)}" is not a commit id`);
    checkPath(path);
    const result = await run(['-C', repo, 'cat-file', 'blob', `${commit}:${path}`], {
      env: localEnv(),
      timeoutMs: 30_000,
      binaryStdout: true,
      maxOutputBytes: maxFileBytes,
      onOverflow: 'kill',
    });
    if (result.truncated) throw new GitError('too-large', `${path} is larger than ${megabytes(maxFileBytes)}`);
    if (result.code !== 0) {
      if (result.end === 'exited')
        throw new GitError('not-found', `file ${path} not found at commit ${commit.slice(0, 12)}`);
      check(result, `reading ${path}`);
    }
    return result.stdoutBytes;
  };

  const listFiles = async (dir: string, commit: string, under?: string): Promise<GitFile[]> => {
    const repo = repoDir(dir);
    if (!COMMIT.test(commit)) throw new GitError('invalid', `"${String(commit).slice(0, 80)}" is not a commit id`);
    if (under !== undefined) checkPath(under.replace(/\/+$/, ''));
    const args = ['-C', repo, 'ls-tree', '-r', '-z', '-l', '--full-tree', commit];
    if (under !== undefined) args.push('--', `${under.replace(/\/+$/, '')}/`);
    const result = await run(args, {
      env: localEnv(),
      timeoutMs: 60_000,
      maxOutputBytes: 64 * 1024 * 1024,
      onOverflow: 'kill',
    });
    if (result.end === 'exited' && result.code !== 0) {
      throw new GitError('not-found', `commit ${commit.slice(0, 12)} not found`);
    }
    check(result, 'listing files');
    const files: GitFile[] = [];
    for (const record of result.stdout.split('\0')) {
      const match = /^(\d+) (\w+) [0-9a-f]+ +(\d+|-)\t([\s\S]+)$/.exec(record);
      if (match && match[2] === 'blob') {
        files.push({ path: match[4]!, size: Number(match[3]), executable: match[1] === '100755' });
      }
    }
    return files;
  };

  /** Builds a commit of the changes on top of parent in dir (lock held); undefined when nothing changed. */
  const buildCommit = async (
    dir: string,
    parent: string | undefined,
    request: CommitRequest,
    indexFile: string,
  ): Promise<string | undefined> => {
    await rm(indexFile, { force: true });
    const env = localEnv({ GIT_INDEX_FILE: indexFile });
    const plumbing = (args: string[], stdin?: string | Buffer) =>
      run(['-C', dir, ...args], { env, stdin, timeoutMs: 60_000 }).then((r) =>
        check(r, `git ${args[0]}`).stdout.trim(),
      );
    if (parent) await plumbing(['read-tree', parent]);
    const entries: string[] = [];
    for (const file of request.files) {
      if (file.content === null) {
        entries.push(`0 ${'0'.repeat(40)}\t${file.path}`);
        continue;
      }
      const blob = await plumbing(['hash-object', '-w', '--stdin'], file.content);
      entries.push(`${file.executable ? '100755' : '100644'} ${blob}\t${file.path}`);
    }
    if (entries.length > 0) await plumbing(['update-index', '-z', '--index-info'], `${entries.join('\0')}\0`);
    const tree = await plumbing(['write-tree']);
    if (parent && tree === (await plumbing(['rev-parse', `${parent}^{tree}`]))) return undefined;
    const committer = request.committer ?? request.author;
    return run(['-C', dir, 'commit-tree', tree, ...(parent ? ['-p', parent] : []), '-F', '-'], {
      env: {
        ...env,
        GIT_AUTHOR_NAME: request.author.name,
        GIT_AUTHOR_EMAIL: request.author.email,
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
      },
      stdin: request.message,
      timeoutMs: 30_000,
    }).then((r) => check(r, 'git commit-tree').stdout.trim());
  };

  const commitAndPush = async (request: CommitRequest) => {
    checkBranch(request.branch);
    checkAuthor(request.author, 'author');
    if (request.committer) checkAuthor(request.committer, 'committer');
    if (typeof request.message !== 'string' || request.message.trim() === '' || request.message.length > 65_536) {
      throw new GitError('invalid', 'a commit needs a message (at most 64 KiB)');
    }
    if (!Array.isArray(request.files) || request.files.length > 10_000) {
      throw new GitError('invalid', 'a commit changes between 0 and 10000 files');
    }
    const seen = new Set<string>();
    for (const file of request.files) {
      checkPath(file.path);
      if (seen.has(file.path)) throw new GitError('invalid', `${file.path} is given twice`);
      seen.add(file.path);
    }
    const { target, session, label } = await open(request.remote);
    const dir = cacheDir(target);
    const indexFile = join(tmpRoot, `index-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}`);
    try {
      return await exclusive(dir, async () => {
        // One retry: the branch may move between our fetch and our push.
        for (let attempt = 1; ; attempt++) {
          const parent = await fetchBranch(dir, target, session, label, request.branch, request.createBranch === true);
          if (parent === undefined && !request.createBranch) {
            throw new GitError('not-found', `branch ${request.branch} not found in ${label}`);
          }
          const commit = await buildCommit(dir, parent, request, indexFile);
          if (commit === undefined) {
            log.info({ branch: request.branch, commit: parent }, `nothing to commit on ${request.branch} of ${label}`);
            return { commit: parent!, pushed: false };
          }
          const push = await run(
            ['-C', dir, 'push', '--quiet', '--porcelain', '--', target.url, `${commit}:refs/heads/${request.branch}`],
            { env: session.env, secrets: session.secrets, timeoutMs, maxOutputBytes: 256 * 1024 },
          );
          const failure = push.code === 0 ? undefined : classifyGitStderr(`${push.stderr}\n${push.stdout}`);
          if (failure === 'conflict' && attempt < 2) {
            log.info({ branch: request.branch }, `${request.branch} of ${label} moved during the commit: retrying`);
            continue;
          }
          if (failure === 'conflict') {
            const error = new GitError('conflict', `${request.branch} of ${label} moved while committing: try again`);
            log.warn({ reason: error.reason }, error.message);
            throw error;
          }
          check(push, `pushing to ${request.branch} of ${label}`, session.secrets);
          await run(['-C', dir, 'update-ref', `refs/remotes/origin/${request.branch}`, commit], {
            env: localEnv(),
            timeoutMs: 30_000,
          });
          log.info(
            { branch: request.branch, commit },
            `pushed ${commit.slice(0, 12)} to ${request.branch} of ${label}`,
          );
          return { commit, pushed: true };
        }
      });
    } finally {
      await rm(indexFile, { force: true });
      await session.dispose();
    }
  };

  return { listBranches, sync, readFile, listFiles, commitAndPush };
}
