import { existsSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitTarget } from '../net/git-url.js';
import type { RunResult } from '../proc/index.js';
import { GitError } from './errors.js';
import type { GitRunner } from './runner.js';
import type { GitSession } from './session.js';

export interface FetchRequest {
  /** The cache directory (the caller holds its lock). */
  dir: string;
  target: GitTarget;
  session: GitSession;
  /** The remote as named in messages. */
  label: string;
  branch: string;
  /** Answer undefined, instead of failing, when the remote has no such branch. */
  allowMissing: boolean;
  maxRepoBytes: number;
  timeoutMs: number;
}

async function directorySize(dir: string): Promise<number> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await directorySize(path);
    else if (entry.isFile()) total += (await stat(path).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

export const megabytes = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

/**
 * Fetches the tip of one branch, shallow, into `refs/remotes/origin/<branch>` of the cache directory
 * (created bare when missing); returns its commit. The size limit is enforced while fetching (what
 * arrives in the objects directory is measured, and the fetch stopped past the limit) and after it
 * (the disk usage of what the branch's snapshot holds); a repository over it is removed from the cache.
 */
export async function fetchBranch(runner: GitRunner, request: FetchRequest): Promise<string | undefined> {
  const { dir, target, session, label, branch, maxRepoBytes } = request;
  const { run, check, localEnv, fail } = runner;
  if (!existsSync(join(dir, 'HEAD'))) {
    await rm(dir, { recursive: true, force: true });
    const init = await run(['init', '--bare', '--quiet', '--template=', dir], { env: localEnv(), timeoutMs: 30_000 });
    check(init, 'git init');
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
    const refspec = `+refs/heads/${branch}:${ref}`;
    result = await run(
      ['-C', dir, 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--depth=1', '--', target.url, refspec],
      {
        env: session.env,
        secrets: session.secrets,
        timeoutMs: request.timeoutMs,
        signal: controller.signal,
        maxOutputBytes: 256 * 1024,
      },
    );
  } finally {
    clearInterval(monitor);
  }
  const tooLarge = async (size: string) => {
    await rm(dir, { recursive: true, force: true });
    const limit = megabytes(maxRepoBytes);
    return fail(new GitError('too-large', `${label} is larger than ${limit} (GANTRY_GIT_MAX_REPO_MB): ${size}`));
  };
  if (result.end === 'aborted') throw await tooLarge(`more than ${megabytes(received)} received`);
  if (result.end === 'exited' && result.code !== 0 && /couldn't find remote ref/i.test(result.stderr)) {
    if (request.allowMissing) return undefined;
    throw fail(new GitError('not-found', `branch ${branch} not found in ${label}`));
  }
  check(result, `fetching ${branch} of ${label}`, session.secrets);
  const parsed = await run(['-C', dir, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
    env: localEnv(),
    timeoutMs: 30_000,
  });
  const commit = check(parsed, 'git rev-parse').stdout.trim();
  // The size of what this branch's snapshot holds, whatever the cache kept from before.
  const usage = await run(['-C', dir, 'rev-list', '--objects', '--disk-usage', ref], {
    env: localEnv(),
    timeoutMs: 60_000,
  });
  const size = Number(usage.stdout.trim());
  if (usage.code === 0 && size > maxRepoBytes) throw await tooLarge(megabytes(size));
  // Every fetch adds a pack and every commit loose objects: let git tidy up when it judges it due, in
  // the foreground (inside the process group and the time limit), never failing the fetch for it.
  const gc = await run(['-C', dir, '-c', 'gc.auto=6700', '-c', 'gc.autoDetach=false', 'gc', '--auto', '--quiet'], {
    env: localEnv(),
    timeoutMs: request.timeoutMs,
  });
  if (gc.code !== 0) runner.log.warn({ code: gc.code, end: gc.end }, `git gc failed in the cache of ${label}`);
  return commit;
}
