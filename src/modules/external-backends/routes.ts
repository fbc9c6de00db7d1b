import type { HandlerContext, OperationSpec } from '../../platform/http/operation.js';
import { Page } from '../../platform/http/paging.js';
import type { Module } from '../../platform/module.js';
import type { ModuleDeps } from '../deps.js';
import { presentBackend } from './present.js';
import { type BackendRow, backendCredentialUser, findBackend } from './repo.js';
import {
  type BackendInput,
  type BackendQuery,
  backendNotFound,
  createBackend,
  deleteBackend,
  listBackends,
  updateBackend,
  withQueryFallbacks,
} from './service.js';

type Params = { organization_canonical: string; external_backend_id: number };
type Ctx<B = unknown> = HandlerContext<Params, BackendQuery, B>;

async function requireBackend(ctx: Ctx): Promise<BackendRow> {
  const row = await findBackend(ctx.db, ctx.access!.organization.id, ctx.params.external_backend_id);
  if (!row) throw backendNotFound(ctx.params.external_backend_id);
  return row;
}

const onBackend = (action: string) => ({
  action,
  entities: (ctx: HandlerContext) => [String(ctx.params.external_backend_id)],
});
const target = (id: unknown) => `external_backend:${id}`;

/**
 * External backends (credentials-and-backends.md §2): where the organization's Terraform state, logs,
 * events and cost data live. Configurations hold addresses and names only; secrets stay in credentials.
 */
export function externalBackendsModule(deps: ModuleDeps): Module {
  const { signer, config } = deps;
  const present = (row: BackendRow, ctx: Ctx) =>
    presentBackend(row, signer, ctx.access!.can('organization:external_backend:update', [String(row.id)]));
  const operations: Record<string, OperationSpec<any>> = {
    getExternalBackends: {
      permission: { action: 'organization:external_backend:list' },
      handler: async (ctx: Ctx) => {
        const page = await listBackends(ctx.db, ctx.access!, ctx.query, ctx.paging);
        return new Page(
          page.items.map((row) => present(row, ctx)),
          page.total,
          page.paging,
        );
      },
    },
    createExternalBackend: {
      permission: { action: 'organization:external_backend:create' },
      audit: (_ctx, result: any) => ({ action: 'organization:external_backend:create', target: target(result.id) }),
      handler: async (ctx: Ctx<BackendInput>) =>
        present(
          await createBackend(ctx.db, ctx.access!, withQueryFallbacks(ctx.body, ctx.query), config.outbound),
          ctx,
        ),
    },
    getExternalBackend: {
      permission: onBackend('organization:external_backend:read'),
      handler: async (ctx: Ctx) => present(await requireBackend(ctx), ctx),
    },
    updateExternalBackend: {
      permission: onBackend('organization:external_backend:update'),
      audit: (ctx) => ({
        action: 'organization:external_backend:update',
        target: target(ctx.params.external_backend_id),
      }),
      handler: async (ctx: Ctx<BackendInput>) =>
        present(await updateBackend(ctx.db, ctx.access!, await requireBackend(ctx), ctx.body, config.outbound), ctx),
    },
    deleteExternalBackend: {
      permission: onBackend('organization:external_backend:delete'),
      audit: (ctx) => ({
        action: 'organization:external_backend:delete',
        target: target(ctx.params.external_backend_id),
      }),
      handler: async (ctx: Ctx) => {
        await deleteBackend(ctx.db, await requireBackend(ctx));
      },
    },
  };
  return { name: 'external-backends', operations, credentialUsers: [backendCredentialUser] };
}
