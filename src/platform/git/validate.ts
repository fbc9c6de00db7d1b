import { GitError } from './errors.js';
import type { CommitRequest, GitAuthor } from './types.js';

/** What git accepts as a branch name, minus what is confusing or option-like. */
const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!.*\.lock(?:\/|$))(?!.*\/\.)(?!\.)[A-Za-z0-9._\-/+]+(?<![./])$/;
export const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const MAX_PATH = 4096;

export function checkBranch(branch: string): void {
  if (typeof branch !== 'string' || branch.length > 255 || !BRANCH.test(branch)) {
    throw new GitError('invalid', `"${String(branch).slice(0, 100)}" is not a valid branch name`);
  }
}

/** A repository path: relative, no empty, `.`, `..` or `.git` segment, no control characters. */
export function checkPath(path: string): void {
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

export function checkAuthor(who: GitAuthor, role: string): void {
  const bad = (v: unknown) => typeof v !== 'string' || v.trim() === '' || v.length > 200 || /[<>\n\r\0]/.test(v);
  if (!who || bad(who.name) || bad(who.email)) {
    throw new GitError('invalid', `the ${role} needs a name and an email without <, > or line breaks`);
  }
}

export function checkCommitId(commit: string): void {
  if (typeof commit !== 'string' || !COMMIT.test(commit)) {
    throw new GitError('invalid', `"${String(commit).slice(0, 80)}" is not a commit id`);
  }
}

/** Everything about a commit request that can be refused before running git. */
export function checkCommitRequest(request: CommitRequest): void {
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
}
