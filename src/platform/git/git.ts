import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { type GitTarget, GitUrlError, parseGitUrl, resolveGitTarget } from '../net/git-url.js';
import { buildCommit } from './commit.js';
import { classifyGitStderr, GitError } from './errors.js';
import { fetchBranch, megabytes } from './fetch.js';
import { createRunner } from './runner.js';
import { type GitRemote, type GitSession, remoteSession } from './session.js';
import type { CommitRequest, Git, GitBranch, GitFile, GitOptions } from './types.js';
import { checkBranch, checkCommitId, checkCommitRequest, checkPath } from './validate.js';

/** Older than the longest operation could run. */
const STALE_OPERATION_MS = 60 * 60_000;

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
export function createGit(options: GitOptions): Git {
  const root = resolve(options.dataDir, 'git');
  const reposRoot = join(root, 'repos');
  const tmpRoot = join(root, 'tmp');
  const home = join(root, 'home');
  const knownHostsFile = options.knownHostsFile ?? join(root, 'known_hosts');
  const maxRepoBytes = options.maxRepoBytes ?? 200 * 1024 * 1024;
  const maxFileBytes = options.maxFileBytes ?? 10 * 1024 * 1024;
  // One batch read holds its whole output in memory.
  const maxBatchBytes = 256 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const log = options.logger;
  const runner = createRunner(options.gitBinary ?? 'git', home, knownHostsFile, log);
  const { run, check, localEnv, fail } = runner;
  const locks = new Map<string, Promise<unknown>>();
  let prepared: Promise<void> | undefined;

  const prepare = () => {
    prepared ??= (async () => {
      for (const dir of [root, reposRoot, tmpRoot, home]) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await chmod(dir, 0o700);
      }
      if (!existsSync(knownHostsFile)) await writeFile(knownHostsFile, '', { mode: 0o600, flag: 'a' });
      // Operation directories a stopped server left behind may hold keys: remove them once they are
      // old enough not to belong to a running operation of another process sharing the data dir.
      for (const name of await readdir(tmpRoot)) {
        const path = join(tmpRoot, name);
        const info = await stat(path).catch(() => undefined);
        if (name.startsWith('op-') && info && Date.now() - info.mtimeMs > STALE_OPERATION_MS) {
          await rm(path, { recursive: true, force: true });
          log.info({ path }, 'removed a stale git operation directory');
        }
      }
    })().catch((error) => {
      prepared = undefined; // try again on the next operation
      throw error;
    });
    return prepared;
  };

  /** Runs fn once the previous writer of this directory is done. */
  const exclusive = <T>(dir: string, fn: () => Promise<T>): Promise<T> => {
    const next = (locks.get(dir) ?? Promise.resolve()).then(fn, fn);
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

  const insideDataDir = async (path: string): Promise<boolean> => {
    const real = (p: string) => realpath(p).catch(() => resolve(p));
    const [dataDir, target] = await Promise.all([real(options.dataDir), real(path)]);
    return target === dataDir || target.startsWith(dataDir + sep);
  };

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
    if (target.kind === 'local' && (await insideDataDir(target.path))) {
      // The cache holds every organization's repositories, and the data dir the server's keys.
      throw refused(new GitUrlError('local', "the server's data directory is not a repository source"));
    }
    let address: string | undefined;
    if (target.kind !== 'local') {
      try {
        address = await resolveGitTarget(target, options.urlPolicy.outbound, options.lookup);
      } catch (error) {
        if (error instanceof GitUrlError) throw refused(error);
        const code = (error as NodeJS.ErrnoException).code ?? 'lookup failed';
        throw fail(new GitError('unreachable', `${target.host} could not be resolved (${code})`));
      }
    }
    const session = await remoteSession(target, address, remote, {
      tmpRoot,
      home,
      knownHostsFile,
      hostKeys: options.sshHostKeys ?? 'strict',
    });
    return { target, session, label: target.kind === 'https' ? target.url : remote.url };
  };

  const cacheDir = (target: GitTarget) =>
    join(reposRoot, createHash('sha256').update(target.url).digest('hex').slice(0, 32));

  /** A directory `sync` returned, and nothing else on the disk. */
  const repoDir = (dir: string): string => {
    const full = resolve(dir);
    if (!full.startsWith(reposRoot + sep) || !existsSync(join(full, 'HEAD'))) {
      throw new GitError('invalid', 'not a repository of the git cache');
    }
    return full;
  };

  const fetch = (
    dir: string,
    target: GitTarget,
    session: GitSession,
    label: string,
    branch: string,
    allowMissing = false,
  ) => fetchBranch(runner, { dir, target, session, label, branch, allowMissing, maxRepoBytes, timeoutMs });

  const sync = async (remote: GitRemote, branch: string) => {
    checkBranch(branch);
    const { target, session, label } = await open(remote);
    const dir = cacheDir(target);
    try {
      const started = Date.now();
      const commit = (await exclusive(dir, () => fetch(dir, target, session, label, branch)))!;
      log.info({ branch, commit, durationMs: Date.now() - started }, `synced ${branch} of ${label}`);
      return { dir, commit };
    } finally {
      await session.dispose();
    }
  };

  const listBranches = async (remote: GitRemote): Promise<GitBranch[]> => {
    const { session, label, target } = await open(remote);
    try {
      const result = await run(['ls-remote', '--heads', '--', target.url], {
        cwd: tmpRoot,
        env: { ...session.env, GIT_CEILING_DIRECTORIES: tmpRoot },
        secrets: session.secrets,
        timeoutMs,
        maxOutputBytes: 16 * 1024 * 1024,
        onOverflow: 'kill',
      });
      check(result, `listing the branches of ${label}`, session.secrets);
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
    checkCommitId(commit);
    checkPath(path);
    const result = await run(['-C', repo, 'cat-file', 'blob', `${commit}:${path}`], {
      env: localEnv(),
      timeoutMs: 30_000,
      binaryStdout: true,
      maxOutputBytes: maxFileBytes,
      onOverflow: 'kill',
    });
    if (result.truncated) throw new GitError('too-large', `${path} is larger than ${megabytes(maxFileBytes)}`);
    if (result.end === 'exited' && result.code !== 0) {
      throw new GitError('not-found', `file ${path} not found at commit ${commit.slice(0, 12)}`);
    }
    check(result, `reading ${path}`);
    return result.stdoutBytes;
  };

  /**
   * Many files in one `git cat-file --batch` process: reading a catalog is hundreds of small files, and
   * one process each costs more than the reading. Missing paths are left out of the result.
   */
  const readFiles = async (dir: string, commit: string, paths: readonly string[]): Promise<Map<string, Buffer>> => {
    const repo = repoDir(dir);
    checkCommitId(commit);
    for (const path of paths) checkPath(path);
    const out = new Map<string, Buffer>();
    if (paths.length === 0) return out;
    const result = await run(['-C', repo, 'cat-file', '--batch'], {
      env: localEnv(),
      stdin: paths.map((path) => `${commit}:${path}\n`).join(''),
      timeoutMs: 60_000,
      binaryStdout: true,
      maxOutputBytes: maxBatchBytes,
      onOverflow: 'kill',
    });
    if (result.truncated) throw new GitError('too-large', `the files read are larger than ${megabytes(maxBatchBytes)}`);
    check(result, 'reading files');
    const bytes = result.stdoutBytes;
    let offset = 0;
    for (const path of paths) {
      const end = bytes.indexOf(0x0a, offset);
      if (end === -1) throw new GitError('failed', 'reading files: the output of git cat-file ended early');
      // "<object> <type> <size>" or "<name> missing" (or "ambiguous").
      const header = bytes.subarray(offset, end).toString('utf8');
      offset = end + 1;
      const match = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
      if (!match) continue;
      const size = Number(match[2]);
      if (match[1] === 'blob') {
        if (size > maxFileBytes) throw new GitError('too-large', `${path} is larger than ${megabytes(maxFileBytes)}`);
        out.set(path, Buffer.from(bytes.subarray(offset, offset + size)));
      }
      offset += size + 1;
    }
    return out;
  };

  const listFiles = async (dir: string, commit: string, under?: string): Promise<GitFile[]> => {
    const repo = repoDir(dir);
    checkCommitId(commit);
    const prefix = under?.replace(/\/+$/, '');
    if (prefix !== undefined) checkPath(prefix);
    const args = ['-C', repo, 'ls-tree', '-r', '-z', '-l', '--full-tree', commit];
    if (prefix !== undefined) args.push('--', `${prefix}/`);
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
      // <mode> <type> <object> <size>\t<path>; submodules (commits) and trees are not files.
      const match = /^(\d+) (\w+) [0-9a-f]+ +(\d+|-)\t([\s\S]+)$/.exec(record);
      if (match && match[2] === 'blob') {
        const mode = match[1];
        files.push({
          path: match[4]!,
          size: Number(match[3]),
          executable: mode === '100755',
          symlink: mode === '120000',
        });
      }
    }
    return files;
  };

  const commitAndPush = async (request: CommitRequest) => {
    checkCommitRequest(request);
    const { branch } = request;
    const { target, session, label } = await open(request.remote);
    const dir = cacheDir(target);
    try {
      return await exclusive(dir, async () => {
        // One retry: the branch may move between our fetch and our push.
        for (let attempt = 1; ; attempt++) {
          const parent = await fetch(dir, target, session, label, branch, request.createBranch === true);
          const commit = await buildCommit(runner, dir, parent, request, join(session.dir, 'index'));
          if (commit === undefined) {
            log.info({ branch, commit: parent }, `nothing to commit on ${branch} of ${label}`);
            return { commit: parent!, pushed: false };
          }
          const push = await run(
            ['-C', dir, 'push', '--quiet', '--porcelain', '--', target.url, `${commit}:refs/heads/${branch}`],
            { env: session.env, secrets: session.secrets, timeoutMs, maxOutputBytes: 256 * 1024 },
          );
          const moved = push.code !== 0 && classifyGitStderr(`${push.stderr}\n${push.stdout}`) === 'conflict';
          if (moved && attempt < 2) {
            log.info({ branch }, `${branch} of ${label} moved during the commit: retrying`);
            continue;
          }
          if (moved) throw fail(new GitError('conflict', `${branch} of ${label} moved while committing: try again`));
          check(push, `pushing to ${branch} of ${label}`, session.secrets);
          const update = await run(['-C', dir, 'update-ref', `refs/remotes/origin/${branch}`, commit], {
            env: localEnv(),
            timeoutMs: 30_000,
          });
          check(update, 'git update-ref');
          log.info({ branch, commit }, `pushed ${commit.slice(0, 12)} to ${branch} of ${label}`);
          return { commit, pushed: true };
        }
      });
    } finally {
      await session.dispose();
    }
  };

  return { listBranches, sync, readFile, readFiles, listFiles, commitAndPush };
}
