import { createGit } from '../../platform/git/index.js';
import type { ModuleDeps } from '../deps.js';
import type { GitDeps } from './service.js';

const shared = new WeakMap<ModuleDeps, GitDeps>();

/**
 * The git client config repositories are written through, one per process: every module that commits to
 * a config repository (this one, components) shares it, so its per-checkout locks serialize all writers.
 */
export function configRepositoryGit(deps: ModuleDeps): GitDeps {
  let gitDeps = shared.get(deps);
  if (!gitDeps) {
    const { config } = deps;
    const policy = { outbound: config.outbound, allowLocal: config.gitAllowLocal };
    const git = createGit({
      dataDir: config.dataDir,
      urlPolicy: policy,
      logger: deps.log,
      maxRepoBytes: config.gitMaxRepoBytes,
    });
    gitDeps = { git, policy, vault: deps.vault };
    shared.set(deps, gitDeps);
  }
  return gitDeps;
}
