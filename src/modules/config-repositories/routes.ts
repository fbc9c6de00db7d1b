import { namedRowsCredentialUser } from '../../platform/credential-users.js';
import { defineOperations, type HandlerContext } from '../../platform/http/operation.js';
import { ownedPathEntity } from '../../platform/http/path-entity.js';
import type { Module } from '../../platform/module.js';
import type { ModuleDeps } from '../deps.js';
import { pushConfigFiles } from './config-files.js';
import { configRepositoryGit } from './git-deps.js';
import { presentConfigRepository } from './present.js';
import { findConfigRepository } from './repo.js';
import {
  checkRemote,
  configRepositoryNotFound,
  createConfigRepository,
  deleteConfigRepository,
  listConfigRepositories,
  updateConfigRepository,
} from './service.js';

const repository = ownedPathEntity({
  param: 'config_repository_canonical',
  find: findConfigRepository,
  notFound: configRepositoryNotFound,
});
const onRepository = (action: string) => repository.permission(action);
const target = (canonical: string) => `config_repository:${canonical}`;

/**
 * Config repositories (config-repositories.md): where the configuration half of deployed stacks is
 * committed. Git work (checking the branch, pushing files) runs in `prepare`, before the transaction.
 */
export function configRepositoriesModule(deps: ModuleDeps): Module {
  const gitDeps = configRepositoryGit(deps);
  const orgId = (ctx: HandlerContext) => ctx.access!.organization.id;

  const operations = defineOperations({
    listConfigRepositories: {
      // Any standing: the list holds the repositories the caller may read.
      permission: { action: null },
      handler: (ctx) => listConfigRepositories(ctx.db, ctx.access!, ctx.query, ctx.paging),
    },
    createConfigRepository: {
      permission: { action: 'organization:config_repository:create' },
      prepare: (ctx) => checkRemote(ctx.db, gitDeps, orgId(ctx), ctx.body),
      audit: { target: (_ctx, created) => target(created.canonical) },
      handler: (ctx) => createConfigRepository(ctx.db, ctx.access!, ctx.body, ctx.prepared as number),
    },
    getConfigRepository: {
      permission: onRepository('organization:config_repository:read'),
      handler: async (ctx) => presentConfigRepository(await repository.require(ctx)),
    },
    updateConfigRepository: {
      permission: onRepository('organization:config_repository:update'),
      prepare: async (ctx) => {
        await repository.require(ctx);
        return checkRemote(ctx.db, gitDeps, orgId(ctx), ctx.body);
      },
      audit: { target: (ctx) => target(ctx.params.config_repository_canonical) },
      handler: async (ctx) =>
        updateConfigRepository(ctx.db, ctx.access!, await repository.require(ctx), ctx.body, ctx.prepared as number),
    },
    deleteConfigRepository: {
      permission: onRepository('organization:config_repository:delete'),
      audit: { target: (ctx) => target(ctx.params.config_repository_canonical) },
      handler: async (ctx) => {
        await deleteConfigRepository(ctx.db, await repository.require(ctx));
      },
    },
    createConfigRepositoryConfig: {
      permission: onRepository('organization:config_repository:update'),
      // Whole configuration trees in base64 exceed the 1 MiB default (docs/config-repositories.md).
      bodyLimit: 16 * 1024 * 1024,
      prepare: async (ctx) =>
        pushConfigFiles(ctx.db, gitDeps, ctx.access!, await repository.require(ctx), ctx.body.configs),
      audit: {
        target: (ctx) => {
          const pushed = ctx.prepared as { commit: string; files: number };
          return `${target(ctx.params.config_repository_canonical)} commit:${pushed.commit.slice(0, 12)} files:${pushed.files}`;
        },
      },
      handler: () => undefined,
    },
  });
  return {
    name: 'config-repositories',
    operations,
    ownedKinds: [{ kind: 'config_repository', table: 'config_repositories' }],
    credentialUsers: [namedRowsCredentialUser('config repository', 'config_repositories', 'config_repositories')],
  };
}
