import { defineOperations, type PermissionSpec } from '../../platform/http/operation.js';
import type { Module } from '../../platform/module.js';
import type { ModuleDeps } from '../deps.js';
import { deleteApiKey, issueApiKey, listApiKeys, ownerOfKey, readApiKey, updateApiKey } from './service.js';
import { apiKeyTokenResolver } from './tokens.js';

/** Permission on one key: its owner may do everything on it, whatever their rules. */
const onKey = (action: string): PermissionSpec => ({
  action,
  entities: (ctx) => [String(ctx.params.api_key_canonical)],
  owner: (ctx) => ownerOfKey(ctx.db, ctx.access!.organization.id, String(ctx.params.api_key_canonical)),
});

const keyTarget = (canonical: string) => `api_key:${canonical}`;

/** Organization API keys: tokens carrying their own rules, never broader than their creator's. */
export function apiKeysModule(deps: ModuleDeps): Module {
  return {
    name: 'api-keys',
    accessWrites: 'all',
    tokenResolvers: [apiKeyTokenResolver(deps.database.db, deps.log)],
    ownedKinds: [{ kind: 'api_key', table: 'api_keys' }],
    operations: defineOperations({
      getAPIKeys: {
        permission: { action: 'organization:api_key:list' },
        handler: (ctx) => listApiKeys(ctx.db, ctx.access!, ctx.query.member_id, ctx.paging),
      },
      createAPIKey: {
        permission: { action: 'organization:api_key:create' },
        // The contract has no field for it: a read-only key is asked for with `?readonly=true`.
        extraQuery: { readonly: { type: 'boolean' } },
        audit: { target: (_ctx, key) => keyTarget(key.canonical) },
        handler: (ctx) => issueApiKey(ctx.db, ctx.access!, ctx.body, ctx.query.readonly === true),
      },
      getAPIKey: {
        permission: onKey('organization:api_key:read'),
        handler: (ctx) => readApiKey(ctx.db, ctx.access!, ctx.params.api_key_canonical),
      },
      updateAPIkey: {
        permission: onKey('organization:api_key:update'),
        audit: { target: (_ctx, key) => keyTarget(key.canonical) },
        handler: (ctx) => updateApiKey(ctx.db, ctx.access!, ctx.params.api_key_canonical, ctx.body),
      },
      deleteAPIKey: {
        permission: onKey('organization:api_key:delete'),
        audit: { target: (ctx) => keyTarget(ctx.params.api_key_canonical) },
        handler: (ctx) => deleteApiKey(ctx.db, ctx.access!, ctx.params.api_key_canonical),
      },
    }),
  };
}
