import { rm } from 'node:fs/promises';
import { GitError } from './errors.js';
import type { GitRunner } from './runner.js';
import type { CommitRequest } from './types.js';

/**
 * Builds a commit of the request's changes on top of `parent` (none: a first commit) in a cache
 * directory whose lock the caller holds, without a working tree: the parent's tree is read into a
 * temporary index, changed blobs are written and entered, and the tree committed. Returns undefined
 * when the tree did not change.
 */
export async function buildCommit(
  runner: GitRunner,
  dir: string,
  parent: string | undefined,
  request: CommitRequest,
  indexFile: string,
): Promise<string | undefined> {
  await rm(indexFile, { force: true });
  const env = runner.localEnv({ GIT_INDEX_FILE: indexFile });
  const plumbing = async (args: string[], stdin?: string | Buffer, extraEnv: Record<string, string> = {}) => {
    const result = await runner.run(['-C', dir, ...args], { env: { ...env, ...extraEnv }, stdin, timeoutMs: 60_000 });
    return runner.check(result, `git ${args[0]}`).stdout.trim();
  };
  if (parent) {
    await plumbing(['read-tree', parent]);
    refuseShapeChanges(request, (await plumbing(['ls-files', '-z'])).split('\0'));
  }
  const entries: string[] = [];
  for (const file of request.files) {
    if (file.content === null) {
      // Mode 0 removes the path from the index.
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
  return plumbing(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-F', '-'], request.message, {
    GIT_AUTHOR_NAME: request.author.name,
    GIT_AUTHOR_EMAIL: request.author.email,
    GIT_COMMITTER_NAME: committer.name,
    GIT_COMMITTER_EMAIL: committer.email,
  });
}

/**
 * git's index silently replaces a directory by a file of the same name and a file by a directory: a
 * write must not delete what the caller did not name.
 */
function refuseShapeChanges(request: CommitRequest, existing: string[]): void {
  const files = new Set(existing.filter(Boolean));
  const directories = new Set<string>();
  for (const path of files) {
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) directories.add(path.slice(0, i));
  }
  for (const file of request.files) {
    if (file.content === null) continue;
    if (directories.has(file.path)) {
      throw new GitError('invalid', `${file.path} is a directory on ${request.branch}: delete its files first`);
    }
    for (let i = file.path.indexOf('/'); i !== -1; i = file.path.indexOf('/', i + 1)) {
      const parent = file.path.slice(0, i);
      if (files.has(parent)) throw new GitError('invalid', `${parent} is a file on ${request.branch}, not a directory`);
    }
  }
}
