import { defineOperations, type HandlerContext, oncePerRequest } from '../../platform/http/operation.js';
import { Page } from '../../platform/http/paging.js';
import { ownedPathEntity } from '../../platform/http/path-entity.js';
import type { Module } from '../../platform/module.js';
import type { ModuleDeps } from '../deps.js';
import { CLOUD_PROVIDERS } from './cloud-providers.js';
import {
  createEnvironment,
  deleteEnvironment,
  environmentNotFound,
  listOrganizationEnvironments,
  listProjectEnvironments,
  updateEnvironment,
} from './environments.js';
import { presentEnvironment } from './present.js';
import { findEnvironment, findProject } from './repo.js';
import {
  addFavorite,
  createProject,
  deleteProject,
  listProjects,
  PROJECT_SORTABLE,
  projectNotFound,
  readProject,
  removeFavorite,
  updateProject,
} from './service.js';

const project = ownedPathEntity({ param: 'project_canonical', find: findProject, notFound: projectNotFound });
const requireProject = project.require;
const onProject = (action: string) => project.permission(action);
/** Environments have no owner of their own: the project's owner decides, as canDo's path lookup does. */
const onEnvironment = (action: string) =>
  project.permission(action, (ctx) => [String(ctx.params.environment_canonical)]);
const environmentOf = oncePerRequest(async (ctx) => {
  const p = await requireProject(ctx);
  const canonical = String(ctx.params.environment_canonical);
  const row = await findEnvironment(ctx.db, ctx.access!.organization.id, p.id, canonical);
  if (!row) throw environmentNotFound(p.canonical, canonical);
  return row;
});

const projectTarget = (canonical: string) => `project:${canonical}`;
const environmentTarget = (ctx: HandlerContext, canonical: string) =>
  `project:${ctx.params.project_canonical}:environment:${canonical}`;

/**
 * Projects, their environments and users' favorites (docs/projects.md), plus the organization-wide
 * environment list and the static cloud provider list.
 */
export function projectsModule(_deps: ModuleDeps): Module {
  const operations = defineOperations({
    getProjects: {
      // Any standing: the list holds the projects the caller may read.
      permission: { action: null },
      sortable: PROJECT_SORTABLE,
      handler: (ctx) => listProjects(ctx.db, ctx.access!, ctx.query, ctx.paging, ctx.orderBy),
    },
    createProject: {
      permission: { action: 'organization:project:create' },
      audit: { target: (_ctx, created) => projectTarget(created.canonical) },
      handler: (ctx) => createProject(ctx.db, ctx.access!, ctx.body),
    },
    getProject: {
      permission: onProject('organization:project:read'),
      handler: async (ctx) => readProject(ctx.db, ctx.access!, await requireProject(ctx)),
    },
    updateProject: {
      permission: onProject('organization:project:update'),
      audit: { target: (ctx) => projectTarget(ctx.params.project_canonical) },
      handler: async (ctx) => updateProject(ctx.db, ctx.access!, await requireProject(ctx), ctx.body),
    },
    deleteProject: {
      permission: onProject('organization:project:delete'),
      audit: {
        target: (ctx, deleted) => {
          const environments = deleted as string[];
          const withEnvironments = environments.length > 0 ? ` with environments ${environments.join(', ')}` : '';
          return `${projectTarget(ctx.params.project_canonical)}${withEnvironments}`;
        },
      },
      // The handler's result names the cascaded environments for the audit event; the answer is a 204.
      handler: async (ctx) => deleteProject(ctx.db, ctx.access!, await requireProject(ctx)),
    },
    createProjectFavorite: {
      permission: onProject('organization:project:favorite'),
      audit: { target: (ctx) => projectTarget(ctx.params.project_canonical) },
      handler: async (ctx) => {
        await addFavorite(ctx.db, ctx.access!, await requireProject(ctx));
      },
    },
    deleteProjectFavorite: {
      permission: onProject('organization:project:favorite'),
      audit: { target: (ctx) => `${projectTarget(ctx.params.project_canonical)} removed` },
      handler: async (ctx) => {
        await removeFavorite(ctx.db, ctx.access!, await requireProject(ctx));
      },
    },
    getProjectEnvironments: {
      permission: onProject('organization:project:environment:list'),
      handler: async (ctx) => listProjectEnvironments(ctx.db, ctx.access!, await requireProject(ctx), ctx.paging),
    },
    createEnvironment: {
      permission: onProject('organization:project:environment:create'),
      audit: { target: (ctx, created) => environmentTarget(ctx, created.canonical) },
      handler: async (ctx) => createEnvironment(ctx.db, ctx.access!, await requireProject(ctx), ctx.body),
    },
    getEnvironment: {
      permission: onEnvironment('organization:project:environment:read'),
      handler: async (ctx) => presentEnvironment(await environmentOf(ctx)),
    },
    updateEnvironment: {
      permission: onEnvironment('organization:project:environment:update'),
      audit: { target: (ctx) => environmentTarget(ctx, ctx.params.environment_canonical) },
      handler: async (ctx) =>
        updateEnvironment(ctx.db, ctx.access!, await requireProject(ctx), await environmentOf(ctx), ctx.body),
    },
    deleteEnvironment: {
      permission: onEnvironment('organization:project:environment:delete'),
      audit: { target: (ctx) => environmentTarget(ctx, ctx.params.environment_canonical) },
      handler: async (ctx) => {
        await deleteEnvironment(ctx.db, ctx.access!, await requireProject(ctx), await environmentOf(ctx));
      },
    },
    getOrganizationEnvironments: {
      // Any standing: the list holds the environments of the projects the caller may read.
      permission: { action: null },
      handler: (ctx) => listOrganizationEnvironments(ctx.db, ctx.access!, ctx.paging),
    },
    getCloudProviders: {
      // Static data, the same for everyone with standing in the organization.
      permission: { action: null },
      handler: (ctx) => {
        const { offset, size } = ctx.paging;
        return new Page(CLOUD_PROVIDERS.slice(offset, offset + size), CLOUD_PROVIDERS.length, ctx.paging);
      },
    },
  });
  return {
    name: 'projects',
    operations,
    ownedKinds: [{ kind: 'project', table: 'projects' }],
  };
}
