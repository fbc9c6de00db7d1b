import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.js';
import type { Vault } from '../../platform/crypto/sealing.js';
import type { DbHandle } from '../../platform/db/database.js';
import { AppError, unprocessable } from '../../platform/errors.js';
import { createGit, type Git, GitError, type GitRemote } from '../../platform/git/index.js';
import { openGitCredential } from '../credentials/git-credential.js';

/** The git layer as configured for this server (URL policy, cache, repository size limit). */
export function catalogGit(config: Config, log: FastifyBaseLogger): Git {
  return createGit({
    dataDir: config.dataDir,
    urlPolicy: { outbound: config.outbound, allowLocal: config.gitAllowLocal },
    logger: log,
    maxRepoBytes: config.gitMaxRepoBytes,
  });
}

/** A remote with its credential opened from the vault (never logged or returned). */
export async function remoteOf(
  db: DbHandle,
  vault: Vault,
  organizationId: number,
  source: { url: string; credential_id: number | null },
): Promise<GitRemote> {
  if (source.credential_id === null) return { url: source.url };
  const credential = await openGitCredential(db, vault, organizationId, source.credential_id);
  return credential ? { url: source.url, credential } : { url: source.url };
}

/**
 * A git failure as a client error naming the request field at fault: the branch that is missing, the
 * credential the remote refused, the URL that is refused, unreachable, too large or not a repository.
 * The remote is the caller's to choose, so what goes wrong there is the request's problem (422); only
 * a server without git answers 503.
 */
export function asFieldError(error: unknown, urlField = 'url'): unknown {
  if (!(error instanceof GitError)) return error;
  switch (error.reason) {
    case 'unavailable':
      return error;
    case 'conflict':
      return new AppError(error.code, `branch: ${error.message}`);
    case 'auth':
      return unprocessable(`credential_canonical: ${error.message}`);
    case 'not-found':
    case 'invalid':
      return unprocessable(`${/^branch |branch name/i.test(error.message) ? 'branch' : urlField}: ${error.message}`);
    default:
      return unprocessable(`${urlField}: ${error.message}`);
  }
}

/** Runs git work, turning its failures into field errors. */
export async function withFieldErrors<T>(work: () => Promise<T>, urlField = 'url'): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asFieldError(error, urlField);
  }
}
