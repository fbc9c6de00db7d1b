import { quoteUpstream } from '../net/upstream-text.js';
import { ProcessError, type RunOptions, type RunResult, runProcess } from '../proc/index.js';
import { classifyGitStderr, GitError } from './errors.js';
import { baseGitEnv } from './session.js';
import type { GitLogger } from './types.js';

/** Runs git and turns its failures into GitErrors; shared by the operations of one git layer. */
export interface GitRunner {
  run(args: string[], options: RunOptions): Promise<RunResult>;
  /** The result when git exited 0; else a logged GitError. `what` names the operation and the remote. */
  check(result: RunResult, what: string, secrets?: readonly string[]): RunResult;
  /** The environment of git commands that reach no remote. */
  localEnv(extra?: Record<string, string>): Record<string, string>;
  /** Logs a failure and returns it, for throwing. */
  fail(error: GitError): GitError;
  log: GitLogger;
}

export function createRunner(git: string, home: string, knownHostsFile: string, log: GitLogger): GitRunner {
  const fail = (error: GitError) => {
    log.warn({ reason: error.reason }, error.message);
    return error;
  };
  return {
    log,
    fail,
    localEnv: (extra = {}) => ({ ...baseGitEnv(home), ...extra }),
    async run(args, options) {
      try {
        return await runProcess(git, args, { inheritEnv: ['PATH'], logger: log, ...options });
      } catch (error) {
        if (error instanceof ProcessError && error.reason === 'not-found') {
          throw fail(new GitError('unavailable', 'git is not installed on this server (see docs/git.md)'));
        }
        throw error;
      }
    },
    check(result, what, secrets = []) {
      if (result.end === 'exited' && result.code === 0) return result;
      if (result.end === 'timeout') throw fail(new GitError('timeout', `${what} did not finish in time`));
      if (result.end === 'overflow') throw fail(new GitError('too-large', `${what} printed too much`));
      const said = quoteUpstream(result.stderr.replace(/^(hint|warning): .*$/gm, ''), secrets);
      const reason = classifyGitStderr(result.stderr);
      const hint = reason === 'host-key' ? ` (the server's ssh host key must be in ${knownHostsFile})` : '';
      throw fail(new GitError(reason, `${what} failed: ${said || `exit code ${result.code}`}${hint}`));
    },
  };
}
