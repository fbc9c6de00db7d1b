import { POLICIES } from '../../platform/authz/policies.js';
import { defineOperations, type HandlerContext, type Module } from '../../platform/http/operation.js';
import { mapPage, Page } from '../../platform/http/paging.js';
import type { ModuleDeps } from '../deps.js';
import { presentNewRole, presentPolicy, presentRole } from './present.js';
import * as roles from './service.js';

const role = (ctx: HandlerContext) => [String(ctx.params.role_canonical)];
const target = (canonical: string) => `role:${canonical}`;

/** Organization roles (named rule sets given to members and teams) and the policy catalog. */
export function rolesModule(_deps: ModuleDeps): Module {
  return {
    name: 'roles',
    accessWrites: 'all',
    operations: defineOperations({
      getRoles: {
        permission: { action: 'organization:role:list' },
        handler: async (ctx) => mapPage(await roles.listRoles(ctx.db, ctx.access!, ctx.paging), presentRole),
      },
      createRole: {
        permission: { action: 'organization:role:create' },
        audit: { target: (_ctx, created) => target(created.canonical ?? '') },
        handler: async (ctx) => {
          const created = await roles.createRole(ctx.db, ctx.access!, ctx.body);
          return presentNewRole(created.role, created.rules);
        },
      },
      getRole: {
        permission: { action: 'organization:role:read', entities: role },
        handler: async (ctx) =>
          presentRole(await roles.getRole(ctx.db, ctx.access!.organization.id, ctx.params.role_canonical)),
      },
      updateRole: {
        permission: { action: 'organization:role:update', entities: role },
        audit: { target: (ctx) => target(ctx.params.role_canonical) },
        handler: async (ctx) =>
          presentRole(await roles.updateRole(ctx.db, ctx.access!, ctx.params.role_canonical, ctx.body)),
      },
      deleteRole: {
        permission: { action: 'organization:role:delete', entities: role },
        audit: { target: (ctx) => target(ctx.params.role_canonical) },
        handler: async (ctx) => {
          await roles.deleteRole(ctx.db, ctx.access!.organization.id, ctx.params.role_canonical);
          return undefined;
        },
      },
      getPolicies: {
        permission: { action: 'organization:policy:read' },
        // The catalog is a static, in-memory list of a few hundred codes: paging it in memory is exact
        // and cheap, and there is no table to page in SQL.
        handler: ({ paging }) =>
          new Page(
            POLICIES.slice(paging.offset, paging.offset + paging.size).map((p, i) =>
              presentPolicy(p, paging.offset + i),
            ),
            POLICIES.length,
            paging,
          ),
      },
    }),
  };
}
