import type { components } from '../../generated/contract.js';
import type { Access } from '../../platform/authz/access.js';
import { commitAuthor } from '../../platform/commit-author.js';
import type { DbHandle } from '../../platform/db/database.js';
import { unprocessable } from '../../platform/errors.js';
import { asFieldError, checkedTarget, openRemote } from './git-remote.js';
import type { ConfigRepositoryRow } from './repo.js';
import type { GitDeps } from './service.js';

export type ConfigFileInput = components['schemas']['ConfigFile'];

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_PATH = 4096;

/**
 * The files of an SCConfig body, decoded and checked: each path relative to the repository root (no
 * leading `/`, no empty, `.`, `..` or `.git` segment), each content strict base64, no path twice.
 * Errors name the item (`configs[2].path`).
 */
export function decodeConfigFiles(configs: readonly ConfigFileInput[]): { path: string; content: Buffer }[] {
  if (configs.length === 0) throw unprocessable('configs: at least one file is needed');
  const seen = new Set<string>();
  return configs.map((file, i) => {
    const { path } = file;
    checkConfigPath(path, `configs[${i}].path`);
    if (seen.has(path)) throw unprocessable(`configs[${i}].path: '${path}' is given twice`);
    seen.add(path);
    if (!BASE64.test(file.content)) throw unprocessable(`configs[${i}].content: not valid base64`);
    return { path, content: Buffer.from(file.content, 'base64') };
  });
}

/**
 * A path inside a config repository: relative to the root (no leading `/`), no empty, `.`, `..` or
 * `.git` segment, no control character. Errors name `field`.
 */
export function checkConfigPath(path: string, field: string): void {
  const segments = path.split('/');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (path.length === 0 || path.length > MAX_PATH || /[\x00-\x1f\x7f\\]/.test(path)) {
    throw unprocessable(`${field}: '${path.slice(0, 200)}' is not a valid file path`);
  }
  if (path.startsWith('/')) throw unprocessable(`${field}: '${path}' must be relative to the repository root`);
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.toLowerCase() === '.git')) {
    throw unprocessable(`${field}: '${path}' may not contain empty, '.', '..' or '.git' segments`);
  }
}

/**
 * Writes the files to the config repository's branch as ONE commit authored by the caller (an API key
 * commits as its owner), then pushes; a push the remote rejects because the branch moved is retried once
 * on a fresh fetch, then the answer is 409 (platform/git). Runs before the transaction: the audit event
 * is written after the push.
 */
export async function pushConfigFiles(
  db: DbHandle,
  deps: GitDeps,
  access: Access,
  row: ConfigRepositoryRow,
  configs: readonly ConfigFileInput[],
): Promise<{ commit: string; files: number }> {
  const files = decodeConfigFiles(configs);
  const commit = await commitConfigFiles(
    db,
    deps,
    access,
    row,
    files,
    `Update ${files.length} configuration file(s) of organization ${access.organization.canonical}`,
  );
  return { commit, files: files.length };
}

/**
 * ONE commit of `files` (paths already checked) on the config repository's branch, authored by the
 * caller, then a push; the message lists the paths. Git I/O: call it before the transaction.
 */
export async function commitConfigFiles(
  db: DbHandle,
  deps: GitDeps,
  access: Access,
  row: Pick<ConfigRepositoryRow, 'canonical' | 'url' | 'branch' | 'credential_id'>,
  files: { path: string; content: string | Buffer | null }[],
  title: string,
): Promise<string> {
  const author = await commitAuthor(db, access);
  const target = checkedTarget(row.url, deps.policy);
  const remote = await openRemote(db, deps.vault, access.organization.id, row.url, target, row.credential_id);
  try {
    const { commit } = await deps.git.commitAndPush({
      remote,
      branch: row.branch,
      author,
      message: `${title}\n\n${files
        .slice(0, 50)
        .map((f) => `- ${f.path}`)
        .join('\n')}`,
      files,
    });
    return commit;
  } catch (error) {
    throw asFieldError(error, `config repository '${row.canonical}'`);
  }
}
