import type { DbHandle } from '../../platform/db/database.js';
import { badRequest } from '../../platform/errors.js';
import { writeAudit } from '../../platform/events/audit.js';
import { defineOperations, type Module } from '../../platform/http/operation.js';
import { mapPage, Page } from '../../platform/http/paging.js';
import type { ModuleDeps } from '../deps.js';
import { type OrgView, presentOrganization } from './present.js';
import { ORG_SORTABLE, type OrgRow } from './repo.js';
import * as orgs from './service.js';
import { organizationSummary } from './summary.js';

const target = (canonical: string) => `organization:${canonical}`;

/** `organization_created_at` is Unix seconds on getOrgs but a date-time on getChildren; both mean equality. */
function listFilters(query: { organization_name?: string; organization_created_at?: number | string }) {
  let createdAt = query.organization_created_at;
  if (typeof createdAt === 'string') {
    const ms = Date.parse(createdAt);
    if (Number.isNaN(ms)) throw badRequest('query.organization_created_at: must be a date-time');
    createdAt = Math.floor(ms / 1000);
  }
  return { name: query.organization_name, createdAt };
}

/** Organizations, their children, summaries, breadcrumbs and the canDo question. */
export function organizationsModule({ log }: ModuleDeps): Module {
  const present = async (ctx: { db: DbHandle }, row: OrgRow) =>
    presentOrganization((await orgs.organizationViews(ctx.db, [row]))[0]);
  const presentAll = (views: OrgView[]) => views.map(presentOrganization);

  return {
    name: 'organizations',
    accessWrites: 'all',
    operations: defineOperations({
      getOrgs: {
        // A key lists the organizations it reaches: its own and their descendants.
        allowApiKeys: true,
        sortable: ORG_SORTABLE,
        handler: async (ctx) => {
          const page = await orgs.listVisibleOrganizations(
            ctx.db,
            ctx.actor!,
            listFilters(ctx.query),
            ctx.orderBy,
            ctx.paging,
          );
          return mapPage(await orgs.pageOfViews(ctx.db, page), presentOrganization);
        },
      },
      createOrg: {
        audit: (_ctx, org) => ({
          action: 'organization:create',
          target: target(org.canonical),
          organizationId: org.id,
        }),
        handler: async (ctx) => present(ctx, await orgs.createRootOrganization(ctx.db, ctx.actor!, ctx.body)),
      },
      getOrg: {
        permission: { action: 'organization:read' },
        handler: async (ctx) => present(ctx, await orgs.getOrganization(ctx.db, ctx.params.organization_canonical)),
      },
      updateOrg: {
        permission: { action: 'organization:update' },
        audit: { target: (ctx) => target(ctx.params.organization_canonical) },
        handler: async (ctx) =>
          present(ctx, await orgs.updateOrganization(ctx.db, ctx.access!.organization.id, ctx.body)),
      },
      deleteOrg: {
        permission: { action: 'organization:delete' },
        // The organization's own events go with it: the parent keeps the record; a root-level
        // deletion is only logged.
        audit: (ctx) => {
          const { organization } = ctx.access!;
          if (organization.parentId === null) {
            log.info({ organization: organization.canonical, actor: ctx.actor?.username }, 'organization deleted');
            return undefined;
          }
          return {
            action: 'organization:delete',
            target: target(organization.canonical),
            organizationId: organization.parentId,
          };
        },
        handler: async (ctx) => {
          await orgs.deleteOrganization(ctx.db, ctx.access!.organization);
          return undefined;
        },
      },
      getSummary: {
        permission: { action: 'organization:read' },
        handler: (ctx) => organizationSummary(ctx.db, ctx.access!.organization.id),
      },
      getAncestors: {
        permission: { action: 'organization:read' },
        handler: async (ctx) => {
          const rows = await orgs.ancestorsOf(ctx.db, ctx.access!);
          // The chain is at most MAX_DEPTH long and comes from the recursive access query: paged here.
          const page = rows.slice(ctx.paging.offset, ctx.paging.offset + ctx.paging.size);
          return new Page(presentAll(await orgs.organizationViews(ctx.db, page)), rows.length, ctx.paging);
        },
      },
      canDo: {
        permission: { action: null },
        noAudit: true,
        handler: async (ctx) => {
          const { action, entity_canonicals } = ctx.body;
          return { ok: await orgs.canDo(ctx.db, ctx.access!, action, entity_canonicals), entity_canonicals };
        },
      },
      getChildren: {
        permission: { action: 'organization:children:read' },
        sortable: ORG_SORTABLE,
        handler: async (ctx) => {
          const page = await orgs.listChildren(ctx.db, ctx.access!, listFilters(ctx.query), ctx.orderBy, ctx.paging);
          return mapPage(await orgs.pageOfViews(ctx.db, page), presentOrganization);
        },
      },
      createChild: {
        permission: { action: 'organization:children:create' },
        audit: { target: (_ctx, child) => target(child.canonical) },
        handler: async (ctx) => {
          const child = await orgs.createChildOrganization(ctx.db, ctx.access!, ctx.body);
          // The parent's audit trail records the child (declared above); the child's own trail starts
          // with who created it, since no membership there says so.
          await writeAudit(
            ctx.db,
            { action: 'organization:create', target: target(child.canonical), organizationId: child.id },
            ctx,
          );
          return present(ctx, child);
        },
      },
    }),
  };
}
