export { checkGitAvailable, MIN_GIT_VERSION } from './check.js';
export { GitError, type GitFailure } from './errors.js';
export { createGit } from './git.js';
export type { GitCredential, GitRemote } from './session.js';
export type {
  CommitRequest,
  Git,
  GitAuthor,
  GitBranch,
  GitFile,
  GitLogger,
  GitOptions,
} from './types.js';
