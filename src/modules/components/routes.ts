import { defineOperations, type HandlerContext, oncePerRequest } from '../../platform/http/operation.js';
import { ownedPathEntity } from '../../platform/http/path-entity.js';
import type { Module } from '../../platform/module.js';
import { registerSavedComponentReader } from '../catalog/component-values.js';
import { registerStackUsage } from '../catalog/usage.js';
import { configRepositoryGit } from '../config-repositories/git-deps.js';
import type { ModuleDeps } from '../deps.js';
import { environmentNotFound } from '../projects/environments.js';
import { findEnvironment, findProject } from '../projects/repo.js';
import { projectNotFound } from '../projects/service.js';
import { componentsUsingStacks, findComponent } from './repo.js';
import { savedComponentReader } from './saved-values.js';
import {
  componentConfig,
  componentNotFound,
  createComponent,
  deleteComponent,
  listComponents,
  type MigratePlan,
  migrateComponent,
  type Prepared,
  prepareCreate,
  prepareMigrate,
  prepareUpdate,
  present,
  type Scope,
  updateComponent,
} from './service.js';

const project = ownedPathEntity({ param: 'project_canonical', find: findProject, notFound: projectNotFound });
/** Components have no owner of their own: the project's owner decides, as for environments. */
const onEnvironment = (action: string) =>
  project.permission(action, (ctx) => [String(ctx.params.environment_canonical)]);
const onComponent = (action: string) =>
  project.permission(action, (ctx) => [
    String(ctx.params.environment_canonical),
    String(ctx.params.component_canonical),
  ]);

const scopeOf = oncePerRequest(async (ctx): Promise<Scope> => {
  const p = await project.require(ctx);
  const canonical = String(ctx.params.environment_canonical);
  const environment = await findEnvironment(ctx.db, ctx.access!.organization.id, p.id, canonical);
  if (!environment) throw environmentNotFound(p.canonical, canonical);
  return { project: p, environment };
});
const componentOf = async (ctx: HandlerContext) => {
  const scope = await scopeOf(ctx);
  const canonical = String(ctx.params.component_canonical);
  const row = await findComponent(ctx.db, ctx.access!.organization.id, scope.environment.id, canonical);
  if (!row) throw componentNotFound(scope, canonical);
  return row;
};

const target = (project: string, environment: string, component: string) =>
  `project:${project}:environment:${environment}:component:${component}`;
const targetOf = (ctx: HandlerContext, component = String(ctx.params.component_canonical)) =>
  target(String(ctx.params.project_canonical), String(ctx.params.environment_canonical), component);
const withCommit = (text: string, commit: string | undefined) =>
  commit ? `${text} commit:${commit.slice(0, 12)}` : text;

/**
 * Components (docs/components.md): a stack's use case in an environment, with its form values. Create,
 * update and migrate render the files and commit them in `prepare` (git I/O before the transaction),
 * then write the record in the transaction.
 * Modules that follow components (pipelines, quotas) are asked and told through `componentListeners`.
 */
export function componentsModule(deps: ModuleDeps): Module {
  const git = { ...configRepositoryGit(deps), signer: deps.signer };
  registerStackUsage(componentsUsingStacks);
  registerSavedComponentReader(savedComponentReader(git, deps.log));

  const operations = defineOperations({
    getComponents: {
      permission: onEnvironment('organization:project:environment:component:list'),
      handler: async (ctx) => listComponents(ctx.db, ctx.access!, await scopeOf(ctx), ctx.paging),
    },
    getOrganizationComponents: {
      // Any standing: the list holds the components of the projects the caller may read.
      permission: { action: null },
      handler: (ctx) => listComponents(ctx.db, ctx.access!, undefined, ctx.paging),
    },
    createComponent: {
      permission: onEnvironment('organization:project:environment:component:create'),
      tx: true,
      prepare: async (ctx) => prepareCreate(ctx.db, git, ctx.access!, await scopeOf(ctx), ctx.body),
      audit: (ctx, result) => ({
        action: 'organization:project:environment:component:create',
        target: withCommit(targetOf(ctx, result.canonical), (ctx.prepared as Prepared).commit),
      }),
      handler: async (ctx) =>
        createComponent(ctx.db, ctx.access!, await scopeOf(ctx), ctx.body, ctx.prepared as Prepared),
    },
    getComponent: {
      permission: onComponent('organization:project:environment:component:read'),
      handler: async (ctx) => (await present(ctx.db, [await componentOf(ctx)]))[0],
    },
    getComponentConfig: {
      permission: onComponent('organization:project:environment:component:read'),
      handler: async (ctx) => componentConfig(await componentOf(ctx)),
    },
    updateComponent: {
      permission: onComponent('organization:project:environment:component:update'),
      tx: true,
      prepare: async (ctx) =>
        prepareUpdate(ctx.db, git, ctx.access!, await scopeOf(ctx), await componentOf(ctx), ctx.body),
      audit: (ctx) => ({
        action: 'organization:project:environment:component:update',
        target: withCommit(targetOf(ctx), (ctx.prepared as Prepared).commit),
      }),
      handler: async (ctx) =>
        updateComponent(ctx.db, ctx.access!, await scopeOf(ctx), await componentOf(ctx), ctx.body),
    },
    deleteComponent: {
      permission: onComponent('organization:project:environment:component:delete'),
      audit: (ctx) => ({ action: 'organization:project:environment:component:delete', target: targetOf(ctx) }),
      handler: async (ctx) => {
        await deleteComponent(ctx.db, ctx.access!, await scopeOf(ctx), await componentOf(ctx));
      },
    },
    migrateComponent: {
      permission: onComponent('organization:project:environment:component:migrate'),
      tx: true,
      prepare: async (ctx) =>
        prepareMigrate(
          ctx.db,
          git,
          ctx.access!,
          await scopeOf(ctx),
          await componentOf(ctx),
          ctx.body,
          async (projectCanonical, environmentCanonical) => {
            const orgId = ctx.access!.organization.id;
            const p = await findProject(ctx.db, orgId, projectCanonical);
            if (!p) return `destination_project_canonical: project '${projectCanonical}' does not exist`;
            const environment = await findEnvironment(ctx.db, orgId, p.id, environmentCanonical);
            if (!environment) {
              return `destination_environment_canonical: environment '${environmentCanonical}' of project '${projectCanonical}' does not exist`;
            }
            return { project: p, environment };
          },
        ),
      audit: (ctx) => {
        const plan = ctx.prepared as MigratePlan;
        const to = target(plan.destination.project.canonical, plan.destination.environment.canonical, plan.canonical);
        return {
          action: 'organization:project:environment:component:migrate',
          target: withCommit(`${targetOf(ctx)} to ${to}`, plan.commit),
        };
      },
      handler: async (ctx) =>
        migrateComponent(ctx.db, ctx.access!, await scopeOf(ctx), await componentOf(ctx), ctx.prepared as MigratePlan),
    },
  });
  return { name: 'components', operations };
}
