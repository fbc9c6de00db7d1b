import { canonicalFromName } from '../../platform/canonical.js';
import { namedRowsCredentialUser } from '../../platform/credential-users.js';
import type { DbHandle } from '../../platform/db/database.js';
import { writeAudit } from '../../platform/events/audit.js';
import { defineOperations, type HandlerContext } from '../../platform/http/operation.js';
import { ownedPathEntity } from '../../platform/http/path-entity.js';
import { handleJob } from '../../platform/jobs/kinds.js';
import type { Module } from '../../platform/module.js';
import { publicBaseUrl } from '../../platform/public-url.js';
import type { ModuleDeps } from '../deps.js';
import { createFromBlueprint } from './blueprint.js';
import { repoBranches } from './branches.js';
import { catalogGit } from './git.js';
import { REINDEX_EVERY, reindexAll, reindexCatalogs } from './reindex.js';
import { holdRenderPool } from './render-pool.js';
import { findSource, sourceForTemplating } from './repo.js';
import {
  type CatalogDeps,
  createSource,
  deleteSource,
  type InTransaction,
  listSources,
  readSource,
  refreshSource,
  sourceNotFound,
  updateSource,
  validateSource,
} from './sources.js';
import { stackConfig } from './stack-config.js';
import { createStack } from './stack-create.js';
import {
  readDiagram,
  readDiagramImage,
  validateDependencies,
  writeDiagram,
  writeDiagramImage,
} from './stack-extras.js';
import { deleteStack, listStacks, readStack, requireStack, updateStack } from './stacks.js';

const source = ownedPathEntity({
  param: 'service_catalog_source_canonical',
  find: findSource,
  notFound: sourceNotFound,
});
const onSource = (action: string) => source.permission(action);
const sourceTarget = (canonical: string) => `service_catalog_source:${canonical}`;
const onStack = (action: string) => ({
  action,
  entities: (ctx: HandlerContext) => [String(ctx.params.service_catalog_ref).split(':')[1]!],
});
const stackTarget = (ctx: HandlerContext) => `service_catalog:${ctx.params.service_catalog_ref}`;
const newStackTarget = (ctx: HandlerContext) =>
  `service_catalog:${ctx.access!.organization.canonical}:${ctx.body.canonical ?? canonicalFromName(ctx.body.name)}`;

/**
 * The writes that read a repository first declare `noAudit` to the registrar, which would otherwise
 * hold a transaction across the git fetch; they write their index and their audit record in one
 * transaction of their own, after the fetch.
 */
function auditedWrite(ctx: HandlerContext, action: string, target: string): InTransaction {
  return (write) =>
    ctx.db.transaction().execute(async (trx: DbHandle) => {
      const result = await write(trx);
      await writeAudit(trx, { action, target }, ctx);
      return result;
    });
}

/** Catalog repositories (service catalog sources) and their stacks (service catalogs). */
export function catalogModule(deps: ModuleDeps): Module {
  const catalog: CatalogDeps = {
    git: catalogGit(deps.config, deps.log),
    vault: deps.vault,
    urlPolicy: { outbound: deps.config.outbound, allowLocal: deps.config.gitAllowLocal },
    log: deps.log,
  };
  let releaseRenderPool = async () => {};
  const operations = defineOperations({
    getServiceCatalogSources: {
      permission: { action: 'organization:service_catalog_source:list' },
      handler: (ctx) => listSources(ctx.db, ctx.access!.organization.id),
    },
    createServiceCatalogSource: {
      permission: { action: 'organization:service_catalog_source:create' },
      noAudit: true,
      handler: (ctx) => {
        const target = sourceTarget(ctx.body.canonical ?? canonicalFromName(ctx.body.name));
        const audit = auditedWrite(ctx, 'organization:service_catalog_source:create', target);
        return createSource(ctx.db, catalog, ctx.access!, ctx.body, audit);
      },
    },
    getServiceCatalogSource: {
      permission: onSource('organization:service_catalog_source:read'),
      handler: async (ctx) => readSource(ctx.db, await source.require(ctx)),
    },
    updateServiceCatalogSource: {
      permission: onSource('organization:service_catalog_source:update'),
      noAudit: true,
      handler: async (ctx) => {
        const row = await source.require(ctx);
        const audit = auditedWrite(ctx, 'organization:service_catalog_source:update', sourceTarget(row.canonical));
        return updateSource(ctx.db, catalog, ctx.access!, row, ctx.body, audit);
      },
    },
    deleteServiceCatalogSource: {
      permission: onSource('organization:service_catalog_source:delete'),
      audit: { target: (ctx) => sourceTarget(ctx.params.service_catalog_source_canonical) },
      handler: async (ctx) => {
        await deleteSource(ctx.db, await source.require(ctx));
      },
    },
    refreshServiceCatalogSource: {
      permission: onSource('organization:service_catalog_source:refresh'),
      noAudit: true,
      handler: async (ctx) => {
        const row = await source.require(ctx);
        const audit = auditedWrite(ctx, 'organization:service_catalog_source:refresh', sourceTarget(row.canonical));
        return refreshSource(ctx.db, catalog, row, audit);
      },
    },
    validateServiceCatalogSource: {
      permission: onSource('organization:service_catalog_source:validate'),
      // Reads the repository and reports; nothing is written.
      noAudit: true,
      handler: async (ctx) => {
        await validateSource(ctx.db, catalog, await source.require(ctx));
      },
    },
    listServiceCatalogs: {
      permission: { action: 'organization:service_catalog:list' },
      handler: (ctx) => listStacks(ctx.db, ctx.access!, ctx.query, ctx.paging),
    },
    createServiceCatalog: {
      permission: { action: 'organization:service_catalog:create' },
      noAudit: true,
      handler: (ctx) => {
        const audit = auditedWrite(ctx, 'organization:service_catalog:create', newStackTarget(ctx));
        return createStack(ctx.db, catalog, ctx.access!, ctx.body, audit);
      },
    },
    createServiceCatalogFromTemplate: {
      permission: { action: 'organization:service_catalog:create' },
      noAudit: true,
      handler: (ctx) => {
        const audit = auditedWrite(ctx, 'organization:service_catalog:create', newStackTarget(ctx));
        const apiUrl = publicBaseUrl(deps.config, ctx.request.socket.localPort);
        return createFromBlueprint(
          ctx.db,
          catalog,
          ctx.access!,
          ctx.params.service_catalog_ref,
          ctx.body,
          apiUrl,
          audit,
        );
      },
    },
    getServiceCatalog: {
      permission: onStack('organization:service_catalog:read'),
      handler: async (ctx) => readStack(await requireStack(ctx.db, ctx.access!, ctx.params.service_catalog_ref)),
    },
    updateServiceCatalog: {
      permission: onStack('organization:service_catalog:update'),
      audit: { target: stackTarget },
      handler: async (ctx) =>
        updateStack(
          ctx.db,
          ctx.access!,
          await requireStack(ctx.db, ctx.access!, ctx.params.service_catalog_ref, true),
          ctx.body,
        ),
    },
    deleteServiceCatalog: {
      permission: onStack('organization:service_catalog:delete'),
      audit: { target: stackTarget },
      handler: async (ctx) => {
        await deleteStack(ctx.db, await requireStack(ctx.db, ctx.access!, ctx.params.service_catalog_ref, true));
      },
    },
    getServiceCatalogConfig: {
      permission: onStack('organization:service_catalog:read'),
      handler: async (ctx) => {
        const stack = await requireStack(ctx.db, ctx.access!, ctx.params.service_catalog_ref);
        const row = await sourceForTemplating(ctx.db, stack.source_id);
        return stackConfig(ctx.db, ctx.access!, stack, row, ctx.query);
      },
    },
    validateServiceCatalogDependencies: {
      permission: onStack('organization:service_catalog:read'),
      handler: async (ctx) =>
        validateDependencies(
          ctx.db,
          ctx.access!,
          await requireStack(ctx.db, ctx.access!, ctx.params.service_catalog_ref),
        ),
    },
    getServiceCatalogTerraformDiagram: {
      permission: onStack('organization:service_catalog:read'),
      // The envelope carries `data` only: the diagram's times stay in the database for now (the
      // registrar has no way yet to put fields beside `data`).
      handler: async (ctx) =>
        (await readDiagram(ctx.db, await requireStack(ctx.db, ctx.access!, ctx.params.service_catalog_ref))).data,
    },
    updateServiceCatalogTerraformDiagram: {
      permission: onStack('organization:service_catalog:update'),
      audit: { target: (ctx) => `${stackTarget(ctx)}:diagram` },
      handler: async (ctx) => {
        const stack = await requireStack(ctx.db, ctx.access!, ctx.params.service_catalog_ref, true);
        await writeDiagram(ctx.db, stack, ctx.body);
      },
    },
    getServiceCatalogTerraformImage: {
      permission: onStack('organization:service_catalog:read'),
      handler: async (ctx) =>
        readDiagramImage(ctx.db, await requireStack(ctx.db, ctx.access!, ctx.params.service_catalog_ref)),
    },
    updateServiceCatalogTerraformImage: {
      permission: onStack('organization:service_catalog:update'),
      // A 2 MB image is 2.7 MB in base64: above the 1 MiB default.
      bodyLimit: 3 * 1024 * 1024,
      audit: { target: (ctx) => `${stackTarget(ctx)}:diagram-image` },
      handler: async (ctx) => {
        const stack = await requireStack(ctx.db, ctx.access!, ctx.params.service_catalog_ref, true);
        await writeDiagramImage(ctx.db, stack, ctx.body.image);
      },
    },
    getRepoBranches: {
      // The server reaches out to a URL of the caller's choice: those who may register a repository may
      // ask (a named credential also needs the right to read it).
      permission: { action: 'organization:service_catalog_source:create' },
      handler: (ctx) => repoBranches(ctx.db, catalog, ctx.access!, ctx.query),
    },
  });
  return {
    name: 'catalog',
    operations,
    ownedKinds: [{ kind: 'service_catalog_source', table: 'catalog_sources' }],
    credentialUsers: [namedRowsCredentialUser('catalog repository', 'service_catalog_sources', 'catalog_sources')],
    jobs: [handleJob(reindexCatalogs, async (_payload, ctx) => void (await reindexAll(catalog, ctx)))],
    schedules: [{ kind: reindexCatalogs, every: REINDEX_EVERY }],
    // Stacks render on worker threads (render-pool.ts), started on first use and closed at shutdown.
    start: async () => {
      releaseRenderPool = holdRenderPool(deps.config.render);
    },
    stop: () => releaseRenderPool(),
  };
}
