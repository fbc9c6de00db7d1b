import type { HandlerContext, OperationSpec, RequestBody } from '../../platform/http/operation.js';
import { ownedPathEntity } from '../../platform/http/path-entity.js';
import type { Module } from '../../platform/module.js';
import type { ModuleDeps } from '../deps.js';
import { type ConfigFileInput, pushConfigFiles } from './config-files.js';
import { configRepositoryGit } from './git-deps.js';
import { presentConfigRepository } from './present.js';
import { findConfigRepository } from './repo.js';
import {
  type ConfigRepositoryInput,
  checkRemote,
  configRepositoryNotFound,
  createConfigRepository,
  deleteConfigRepository,
  listConfigRepositories,
  updateConfigRepository,
} from './service.js';

type Params = { organization_canonical: string; config_repository_canonical: string };
type Ctx<B = unknown, Q = Record<string, unknown>> = HandlerContext<Params, Q, B>;

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

  const operations: Record<string, OperationSpec<any>> = {
    listConfigRepositories: {
      // Any standing: the list holds the repositories the caller may read.
      permission: { action: null },
      handler: (ctx: Ctx<unknown, { default?: boolean }>) =>
        listConfigRepositories(ctx.db, ctx.access!, ctx.query, ctx.paging),
    },
    createConfigRepository: {
      permission: { action: 'organization:config_repository:create' },
      prepare: (ctx: Ctx<RequestBody<'createConfigRepository'>>) => checkRemote(ctx.db, gitDeps, orgId(ctx), ctx.body),
      audit: (_ctx, result: any) => ({
        action: 'organization:config_repository:create',
        target: target(result.canonical),
      }),
      handler: (ctx: Ctx<RequestBody<'createConfigRepository'>>) =>
        createConfigRepository(ctx.db, ctx.access!, ctx.body as ConfigRepositoryInput, ctx.prepared as number),
    },
    getConfigRepository: {
      permission: onRepository('organization:config_repository:read'),
      handler: async (ctx: Ctx) => presentConfigRepository(await repository.require(ctx)),
    },
    updateConfigRepository: {
      permission: onRepository('organization:config_repository:update'),
      prepare: async (ctx: Ctx<RequestBody<'updateConfigRepository'>>) => {
        await repository.require(ctx);
        return checkRemote(ctx.db, gitDeps, orgId(ctx), ctx.body);
      },
      audit: (ctx) => ({
        action: 'organization:config_repository:update',
        target: target(ctx.params.config_repository_canonical),
      }),
      handler: async (ctx: Ctx<RequestBody<'updateConfigRepository'>>) =>
        updateConfigRepository(
          ctx.db,
          ctx.access!,
          await repository.require(ctx),
          ctx.body as ConfigRepositoryInput,
          ctx.prepared as number,
        ),
    },
    deleteConfigRepository: {
      permission: onRepository('organization:config_repository:delete'),
      audit: (ctx) => ({
        action: 'organization:config_repository:delete',
        target: target(ctx.params.config_repository_canonical),
      }),
      handler: async (ctx: Ctx) => {
        await deleteConfigRepository(ctx.db, await repository.require(ctx));
      },
    },
    createConfigRepositoryConfig: {
      // TODO(body-limit): SCConfig bodies carry whole configuration trees in base64 and exceed the 1 MiB
      // default; declare this operation's own limit once per-operation body limits exist.
      permission: onRepository('organization:config_repository:update'),
      prepare: async (ctx: Ctx<RequestBody<'createConfigRepositoryConfig'>>) =>
        pushConfigFiles(
          ctx.db,
          gitDeps,
          ctx.access!,
          await repository.require(ctx),
          ctx.body.configs as ConfigFileInput[],
        ),
      audit: (ctx) => {
        const pushed = ctx.prepared as { commit: string; files: number };
        return {
          action: 'organization:config_repository:update',
          target: `${target(ctx.params.config_repository_canonical)} commit:${pushed.commit.slice(0, 12)} files:${pushed.files}`,
        };
      },
      handler: () => undefined,
    },
  };
  return {
    name: 'config-repositories',
    operations,
    ownedKinds: [{ kind: 'config_repository', table: 'config_repositories' }],
  };
}
