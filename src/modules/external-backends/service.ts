import type { Access } from '../../platform/authz/access.js';
import { flag, nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { conflict, notFound, unprocessable } from '../../platform/errors.js';
import { fetchPage, type Page, type Paging } from '../../platform/http/paging.js';
import { demandWithinLimit, orgScope } from '../../platform/limits.js';
import { type OutboundPolicy, outboundUrlProblem } from '../../platform/net/outbound.js';
import { type Configuration, ENGINES, type EngineSpec, type Purpose } from './engines.js';
import { type BackendRow, backendQuery, backendWithScope, findBackend, type Scope } from './repo.js';

export interface BackendInput {
  purpose: Purpose;
  configuration: Configuration;
  credential_canonical?: string;
  project_canonical?: string;
  environment_canonical?: string;
  component_canonical?: string;
  default?: boolean;
}

/** The contract also offers the scope and default flag as query parameters; the body wins. */
export interface BackendQuery {
  project_canonical?: string;
  environment_canonical?: string;
  component_canonical?: string;
  external_backend_default?: boolean;
  /** On updateExternalBackend only (an extension): issue a new machine token, retiring the old one. */
  rotate_token?: boolean;
}

export const backendNotFound = (id: number) => notFound(`external backend ${id}`);

interface Checked {
  engine: string;
  spec: EngineSpec;
  scope: Scope;
  isDefault: boolean;
  credentialId: number | null;
}

/** Every rule a backend must satisfy before anything is written; 422s name the field at fault. */
async function check(db: DbHandle, access: Access, input: BackendInput, outbound: OutboundPolicy): Promise<Checked> {
  const { configuration, purpose } = input;
  const engine = configuration.engine;
  const spec = ENGINES[engine];
  if (!spec) {
    throw unprocessable(
      `configuration.engine: invalid engine value '${engine}' (one of ${Object.keys(ENGINES).join(', ')})`,
    );
  }
  if (!spec.purposes.includes(purpose)) {
    throw unprocessable(`purpose: engine ${engine} cannot serve '${purpose}' (it serves ${spec.purposes.join(', ')})`);
  }
  const scope: Scope = {
    project: input.project_canonical ?? null,
    environment: input.environment_canonical ?? null,
    component: input.component_canonical ?? null,
  };
  if (scope.environment && !scope.project) throw unprocessable('environment_canonical: needs project_canonical');
  if (scope.component && !scope.environment) throw unprocessable('component_canonical: needs environment_canonical');
  const isDefault = input.default === true;
  for (const field of spec.needs ?? []) {
    if (typeof configuration[field] !== 'string' || configuration[field] === '') {
      throw unprocessable(`configuration.${field}: engine ${engine} needs it`);
    }
  }
  if (spec.objectField && !isDefault && !configuration[spec.objectField]) {
    throw unprocessable(
      `configuration.${spec.objectField}: required unless the backend is the default one (the default derives one object per project and environment)`,
    );
  }
  const problem = spec.check?.(configuration);
  if (problem) throw unprocessable(`configuration.${problem}`);
  for (const [field, url] of spec.urls?.(configuration) ?? []) {
    const urlProblem = outboundUrlProblem(String(url), outbound);
    if (urlProblem) throw unprocessable(`configuration.${field}: ${urlProblem}`);
  }
  for (const [field, host] of spec.hosts?.(configuration) ?? []) {
    const hostProblem = hostProblemOf(String(host), outbound);
    if (hostProblem) throw unprocessable(`configuration.${field}: ${hostProblem}`);
  }
  return { engine, spec, scope, isDefault, credentialId: await credentialFor(db, access, input, spec) };
}

/** A host name or address, optionally with a port: not a URL (clients would read a scheme or path). */
function hostProblemOf(host: string, outbound: OutboundPolicy): string | undefined {
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(host)) {
    return 'give a host name or address (optionally with :port), not a URL';
  }
  return outboundUrlProblem(`https://${host}`, outbound);
}

/** "a gcp credential", "an aws credential". */
const aCredential = (type: string) => `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type} credential`;

async function credentialFor(db: DbHandle, access: Access, input: BackendInput, spec: EngineSpec) {
  const canonical = input.credential_canonical;
  const needed = spec.credential;
  if (canonical === undefined) {
    if (needed?.required) {
      throw unprocessable(
        `credential_canonical: engine ${input.configuration.engine} needs a ${needed.type} credential`,
      );
    }
    return null;
  }
  if (!needed) throw unprocessable(`credential_canonical: engine ${input.configuration.engine} takes no credential`);
  const row = await db
    .selectFrom('credentials')
    .select(['id', 'type'])
    .where('organization_id', '=', access.organization.id)
    .where('canonical', '=', canonical)
    .executeTakeFirst();
  if (!row) {
    throw unprocessable(
      `credential_canonical: no credential '${canonical}' in organization '${access.organization.canonical}'`,
    );
  }
  if (row.type !== needed.type) {
    throw unprocessable(
      `credential_canonical: engine ${input.configuration.engine} needs ${aCredential(needed.type)}; '${canonical}' is ${row.type}`,
    );
  }
  return row.id;
}

/**
 * One backend per purpose and project scope (the most specific one must be unambiguous), and one
 * default per purpose: a new default replaces the previous one, in the same transaction.
 */
async function claimScope(db: DbHandle, access: Access, input: BackendInput, checked: Checked, exceptId?: number) {
  const orgId = access.organization.id;
  if (checked.scope.project) {
    const clash = await backendWithScope(db, orgId, input.purpose, checked.scope, exceptId);
    if (clash !== undefined) {
      throw conflict(
        `external backend ${clash} already serves '${input.purpose}' for this project scope; update it instead`,
      );
    }
  }
  if (checked.isDefault) {
    let unset = db
      .updateTable('external_backends')
      .set({ is_default: 0, updated_at: nowSeconds() })
      .where('organization_id', '=', orgId)
      .where('purpose', '=', input.purpose)
      .where('is_default', '=', 1);
    if (exceptId !== undefined) unset = unset.where('id', '!=', exceptId);
    await unset.execute();
  }
}

function columns(input: BackendInput, checked: Checked) {
  return {
    purpose: input.purpose,
    engine: checked.engine,
    is_default: flag(checked.isDefault),
    credential_id: checked.credentialId,
    project_canonical: checked.scope.project,
    environment_canonical: checked.scope.environment,
    component_canonical: checked.scope.component,
    configuration: JSON.stringify(input.configuration),
  };
}

export function withQueryFallbacks(body: BackendInput, query: BackendQuery): BackendInput {
  return {
    ...body,
    project_canonical: body.project_canonical ?? query.project_canonical,
    environment_canonical: body.environment_canonical ?? query.environment_canonical,
    component_canonical: body.component_canonical ?? query.component_canonical,
    default: body.default ?? query.external_backend_default,
  };
}

export async function createBackend(
  db: DbHandle,
  access: Access,
  input: BackendInput,
  outbound: OutboundPolicy,
): Promise<BackendRow> {
  const checked = await check(db, access, input, outbound);
  await demandWithinLimit(db, 'externalBackendsPerOrg', orgScope(access));
  await claimScope(db, access, input, checked);
  const now = nowSeconds();
  const { id } = await db
    .insertInto('external_backends')
    .values({ organization_id: access.organization.id, ...columns(input, checked), created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return (await findBackend(db, access.organization.id, id))!;
}

/** Update replaces the whole backend (the contract requires purpose and configuration). */
export async function updateBackend(
  db: DbHandle,
  access: Access,
  current: BackendRow,
  input: BackendInput,
  outbound: OutboundPolicy,
  options: { rotateToken?: boolean } = {},
): Promise<BackendRow> {
  const checked = await check(db, access, input, outbound);
  await claimScope(db, access, input, checked, current.id);
  await db
    .updateTable('external_backends')
    .set((eb) => ({
      ...columns(input, checked),
      ...(options.rotateToken ? { token_version: eb('token_version', '+', 1) } : {}),
      updated_at: nowSeconds(),
    }))
    .where('id', '=', current.id)
    .execute();
  return (await findBackend(db, access.organization.id, current.id))!;
}

export async function deleteBackend(db: DbHandle, row: BackendRow): Promise<void> {
  await db.deleteFrom('external_backends').where('id', '=', row.id).execute();
}

export function listBackends(
  db: DbHandle,
  access: Access,
  filters: BackendQuery,
  paging: Paging,
): Promise<Page<BackendRow>> {
  let query = backendQuery(db, access.organization.id);
  if (filters.project_canonical !== undefined) {
    query = query.where('external_backends.project_canonical', '=', filters.project_canonical);
  }
  if (filters.environment_canonical !== undefined) {
    query = query.where('external_backends.environment_canonical', '=', filters.environment_canonical);
  }
  if (filters.component_canonical !== undefined) {
    query = query.where('external_backends.component_canonical', '=', filters.component_canonical);
  }
  if (filters.external_backend_default !== undefined) {
    query = query.where('external_backends.is_default', '=', flag(filters.external_backend_default));
  }
  return fetchPage(query.orderBy('external_backends.id'), paging);
}
