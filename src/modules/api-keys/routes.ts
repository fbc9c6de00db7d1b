import type { HandlerContext, OperationSpec } from '../../platform/http/operation.js';
import type { Module } from '../../platform/module.js';
import type { ModuleDeps } from '../deps.js';
import type { ApiKeyWire } from './present.js';
import {
  deleteApiKey,
  issueApiKey,
  listApiKeys,
  type NewApiKeyBody,
  ownerOfKey,
  readApiKey,
  type UpdateApiKeyBody,
  updateApiKey,
} from './service.js';
import { apiKeyTokenResolver } from './tokens.js';

type KeyParams = { organization_canonical: string; api_key_canonical: string };
type Ctx<B = unknown, Q = Record<string, unknown>> = HandlerContext<KeyParams, Q, B>;

/** Permission on one key: its owner may do everything on it, whatever their rules. */
const onKey = (action: string): OperationSpec['permission'] => ({
  action,
  entities: (ctx) => [ctx.params.api_key_canonical],
  owner: (ctx) => ownerOfKey(ctx.db, ctx.access!.organization.id, ctx.params.api_key_canonical),
});

const audited = (action: string) => (ctx: Ctx, result: unknown) => ({
  action,
  target: `api_key:${(result as ApiKeyWire | undefined)?.canonical ?? ctx.params.api_key_canonical}`,
});

/** Organization API keys: tokens carrying their own rules, never broader than their creator's. */
export function apiKeysModule(deps: ModuleDeps): Module {
  return {
    name: 'api-keys',
    accessWrites: 'all',
    tokenResolvers: [apiKeyTokenResolver(deps.database.db, deps.log)],
    ownedKinds: [{ kind: 'api_key', table: 'api_keys' }],
    operations: {
      getAPIKeys: {
        permission: { action: 'organization:api_key:list' },
        handler: (ctx: Ctx<undefined, { member_id?: number }>) =>
          listApiKeys(ctx.db, ctx.access!, ctx.query.member_id, ctx.paging),
      },
      createAPIKey: {
        permission: { action: 'organization:api_key:create' },
        // The contract has no field for it: a read-only key is asked for with `?readonly=true`.
        extraQuery: { readonly: { type: 'boolean' } },
        audit: audited('organization:api_key:create'),
        handler: (ctx: Ctx<NewApiKeyBody, { readonly?: boolean }>) =>
          issueApiKey(ctx.db, ctx.access!, ctx.body, ctx.query.readonly === true),
      },
      getAPIKey: {
        permission: onKey('organization:api_key:read'),
        handler: (ctx: Ctx) => readApiKey(ctx.db, ctx.access!, ctx.params.api_key_canonical),
      },
      updateAPIkey: {
        permission: onKey('organization:api_key:update'),
        audit: audited('organization:api_key:update'),
        handler: (ctx: Ctx<UpdateApiKeyBody>) =>
          updateApiKey(ctx.db, ctx.access!, ctx.params.api_key_canonical, ctx.body),
      },
      deleteAPIKey: {
        permission: onKey('organization:api_key:delete'),
        audit: audited('organization:api_key:delete'),
        handler: (ctx: Ctx) => deleteApiKey(ctx.db, ctx.access!, ctx.params.api_key_canonical),
      },
    },
  };
}
