import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface BuildInfo {
  version: string;
  revision: string;
  branch: string;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}

let cached: BuildInfo | undefined;

/**
 * Version from package.json; revision and branch from `build-info.json` written at build time, or from
 * git when running a checkout directly. Outside both, an explicit "unknown" value of valid length.
 */
export function buildInfo(): BuildInfo {
  if (cached) return cached;
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string };
  const file = `${ROOT}dist/build-info.json`;
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<BuildInfo>) : {};
  const revision = stored.revision || git(['rev-parse', 'HEAD']) || 'unknown-revision';
  const branch = stored.branch || git(['rev-parse', '--abbrev-ref', 'HEAD']) || 'unknown';
  cached = { version: pkg.version, revision: revision.slice(0, 40), branch };
  return cached;
}
