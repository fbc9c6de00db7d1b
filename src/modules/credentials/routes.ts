import { unprocessable } from '../../platform/errors.js';
import { writeAudit } from '../../platform/events/audit.js';
import { defineOperations } from '../../platform/http/operation.js';
import { ownedPathEntity } from '../../platform/http/path-entity.js';
import type { Module } from '../../platform/module.js';
import type { ModuleDeps } from '../deps.js';
import { listBigQueryOptions } from './gcp-bigquery.js';
import { findCredential } from './repo.js';
import { openFields } from './secrets.js';
import {
  type CredentialInput,
  createCredential,
  credentialNotFound,
  deleteCredential,
  listCredentials,
  revealCredential,
  updateCredential,
} from './service.js';

const credential = ownedPathEntity({
  param: 'credential_canonical',
  find: findCredential,
  notFound: credentialNotFound,
});
const requireCredential = credential.require;
const onCredential = (action: string) => credential.permission(action);

/**
 * The contract declares CredentialSimple items for lists but says readers get `raw` too: the simple
 * shape plus an optional `raw`, so nothing else can leak.
 */
function credentialListItem(simple: Record<string, unknown>): Record<string, unknown> {
  const properties = simple.properties as Record<string, unknown>;
  return { ...simple, properties: { ...properties, raw: { $ref: '#/components/schemas/CredentialRaw' } } };
}

const target = (canonical: string) => `credential:${canonical}`;

/**
 * Credentials (credentials-and-backends.md §1): metadata in columns, secret fields sealed at rest.
 * Every response carrying a secret value is preceded by an audit event in the same transaction: if the
 * event cannot be written, the value is not returned.
 */
export function credentialsModule(deps: ModuleDeps): Module {
  const { vault, config } = deps;
  const operations = defineOperations({
    listCredentials: {
      // Any standing: the list holds what the caller may list, with values only where it may read.
      permission: { action: null },
      tx: true,
      listItems: credentialListItem(deps.contract.schemas.CredentialSimple!),
      handler: async (ctx) => {
        const { page, revealed } = await listCredentials(ctx.db, vault, ctx.access!, ctx.query, ctx.paging);
        if (revealed.length > 0) {
          await writeAudit(ctx.db, { action: 'organization:credential:read', target: target(revealed.join(',')) }, ctx);
        }
        return page;
      },
    },
    createCredential: {
      permission: { action: 'organization:credential:create' },
      audit: { target: (_ctx, credential) => target(credential.canonical) },
      handler: (ctx) => createCredential(ctx.db, vault, ctx.access!, ctx.body as CredentialInput),
    },
    getCredential: {
      permission: onCredential('organization:credential:read'),
      tx: true,
      handler: async (ctx) => {
        const row = await requireCredential(ctx);
        await writeAudit(ctx.db, { action: 'organization:credential:read', target: target(row.canonical) }, ctx);
        return revealCredential(ctx.db, vault, row);
      },
    },
    updateCredential: {
      permission: onCredential('organization:credential:update'),
      audit: { target: (_ctx, credential) => target(credential.canonical) },
      handler: async (ctx) =>
        updateCredential(ctx.db, vault, ctx.access!, await requireCredential(ctx), ctx.body as CredentialInput),
    },
    deleteCredential: {
      permission: onCredential('organization:credential:delete'),
      extraQuery: { force: { type: 'boolean' } },
      audit: { target: (ctx) => target(ctx.params.credential_canonical) },
      handler: async (ctx) => {
        await deleteCredential(ctx.db, await requireCredential(ctx), ctx.query.force === true);
      },
    },
    getCredentialOptions: {
      // Uses the secret on the caller's behalf (nothing secret is returned): reading it is required.
      permission: onCredential('organization:credential:read'),
      handler: async (ctx) => {
        const row = await requireCredential(ctx);
        if (row.type !== 'gcp') {
          throw unprocessable(`service ${ctx.query.service} needs a gcp credential; '${row.canonical}' is ${row.type}`);
        }
        const fields = await openFields(vault, row);
        return listBigQueryOptions(fields.json_key!, config.gcp, config.outbound);
      },
    },
  });
  return { name: 'credentials', operations, ownedKinds: [{ kind: 'credential', table: 'credentials' }] };
}
