import { ProcessError, runProcess } from '../proc/index.js';

/** git 2.37 brought `http.curloptResolve`, which pins https remotes to the address the policy checked. */
export const MIN_GIT_VERSION = [2, 37] as const;

/**
 * The installed git's version, or a clear error: called at start, since catalog and config repositories
 * need git (Debian's and Ubuntu's package `git`).
 */
export async function checkGitAvailable(gitBinary = 'git'): Promise<string> {
  const needed = `git ${MIN_GIT_VERSION.join('.')} or newer`;
  let output: string;
  try {
    const result = await runProcess(gitBinary, ['--version'], { inheritEnv: ['PATH'], timeoutMs: 10_000 });
    if (result.code !== 0) throw new Error(`${gitBinary} --version failed: ${result.stderr.trim().slice(0, 200)}`);
    output = result.stdout.trim();
  } catch (error) {
    if (error instanceof ProcessError && error.reason === 'not-found') {
      throw new Error(
        `git was not found (looked for "${gitBinary}" on PATH): Gantry needs ${needed} to read and write repositories; install it (Debian, Ubuntu: apt-get install git)`,
      );
    }
    throw error;
  }
  const match = /^git version (\d+)\.(\d+)(?:\.(\d+))?/.exec(output);
  if (!match) throw new Error(`could not read the version of ${gitBinary} ("${output.slice(0, 100)}")`);
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const version = `${match[1]}.${match[2]}${match[3] ? `.${match[3]}` : ''}`;
  if (major < MIN_GIT_VERSION[0] || (major === MIN_GIT_VERSION[0] && minor < MIN_GIT_VERSION[1])) {
    throw new Error(`git ${version} is too old: Gantry needs ${needed}; upgrade the git package`);
  }
  return version;
}
