import type { GitHostLookup, GitUrlPolicy } from '../net/git-url.js';
import type { ProcessLogger } from '../proc/index.js';
import type { GitRemote } from './session.js';

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
  /** A symbolic link: its content (readFile) is the path it points to, never followed. */
  symlink: boolean;
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
  /** Several files at a commit in one git process; paths that do not exist are absent from the map. */
  readFiles(dir: string, commit: string, paths: readonly string[]): Promise<Map<string, Buffer>>;
  /** Files at a commit (recursively), optionally under one directory. */
  listFiles(dir: string, commit: string, under?: string): Promise<GitFile[]>;
  /** Commits the given changes on top of the branch and pushes; `pushed` is false when nothing changed. */
  commitAndPush(request: CommitRequest): Promise<{ commit: string; pushed: boolean }>;
}
