import type { Access } from '../../platform/authz/access.js';
import { defineOperations, type HandlerContext } from '../../platform/http/operation.js';
import { mapPage } from '../../platform/http/paging.js';
import type { Module } from '../../platform/module.js';
import type { ModuleDeps } from '../deps.js';
import { presentBackend } from './present.js';
import { type BackendRow, backendCredentialUser, findBackend } from './repo.js';
import {
  backendNotFound,
  createBackend,
  deleteBackend,
  listBackends,
  updateBackend,
  withQueryFallbacks,
} from './service.js';

async function requireBackend(ctx: HandlerContext<{ external_backend_id: number }>): Promise<BackendRow> {
  const row = await findBackend(ctx.db, ctx.access!.organization.id, ctx.params.external_backend_id);
  if (!row) throw backendNotFound(ctx.params.external_backend_id);
  return row;
}

const onBackend = (action: string) => ({
  action,
  entities: (ctx: HandlerContext) => [String(ctx.params.external_backend_id)],
});
const target = (id: number | undefined) => `external_backend:${id}`;

/**
 * External backends (credentials-and-backends.md §2): where the organization's Terraform state, logs,
 * events and cost data live. Configurations hold addresses and names only; secrets stay in credentials.
 */
export function externalBackendsModule(deps: ModuleDeps): Module {
  const { signer, config } = deps;
  const present = (row: BackendRow, ctx: { access: Access | undefined }) =>
    presentBackend(row, signer, ctx.access!.can('organization:external_backend:update', [String(row.id)]));
  const operations = defineOperations({
    getExternalBackends: {
      permission: { action: 'organization:external_backend:list' },
      handler: async (ctx) => {
        const page = await listBackends(ctx.db, ctx.access!, ctx.query, ctx.paging);
        return mapPage(page, (row) => present(row, ctx));
      },
    },
    createExternalBackend: {
      permission: { action: 'organization:external_backend:create' },
      audit: { target: (_ctx, backend) => target(backend.id) },
      handler: async (ctx) =>
        present(
          await createBackend(ctx.db, ctx.access!, withQueryFallbacks(ctx.body, ctx.query), config.outbound),
          ctx,
        ),
    },
    getExternalBackend: {
      permission: onBackend('organization:external_backend:read'),
      handler: async (ctx) => present(await requireBackend(ctx), ctx),
    },
    updateExternalBackend: {
      permission: onBackend('organization:external_backend:update'),
      // An extension: `?rotate_token=true` issues a new machine token and retires the old one.
      extraQuery: { rotate_token: { type: 'boolean' } },
      audit: { target: (ctx) => target(ctx.params.external_backend_id) },
      handler: async (ctx) =>
        present(
          await updateBackend(ctx.db, ctx.access!, await requireBackend(ctx), ctx.body, config.outbound, {
            rotateToken: (ctx.query as { rotate_token?: boolean }).rotate_token === true,
          }),
          ctx,
        ),
    },
    deleteExternalBackend: {
      permission: onBackend('organization:external_backend:delete'),
      audit: { target: (ctx) => target(ctx.params.external_backend_id) },
      handler: async (ctx) => {
        await deleteBackend(ctx.db, await requireBackend(ctx));
      },
    },
  });
  return { name: 'external-backends', operations, credentialUsers: [backendCredentialUser] };
}
