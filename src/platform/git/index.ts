export { checkGitAvailable, MIN_GIT_VERSION } from './check.js';
export { GitError, type GitFailure } from './errors.js';
export {
  type CommitRequest,
  createGit,
  type Git,
  type GitAuthor,
  type GitBranch,
  type GitFile,
  type GitLogger,
  type GitOptions,
} from './git.js';
export type { GitCredential, GitRemote } from './session.js';
