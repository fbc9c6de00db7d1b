import type { ContractOperation } from '../../src/platform/http/contract.js';
import type { OperationSpec } from '../../src/platform/http/operation.js';
import { compileOperation } from '../../src/platform/http/registrar.js';
import { createSchemaCompiler } from '../../src/platform/http/schemas.js';
import type { RequestShape } from '../helpers/mutations.js';
import { asParameter, type Schema, sampleValue } from '../helpers/sample-body.js';
import { contract } from './operation-tables.js';

/**
 * Valid requests for implemented operations, generated from the contract with real canonicals as
 * hints. Bodies the generic sample cannot get right (a discriminated configuration, a credential of
 * one type, a role rule naming a real action) start from these instead.
 */
const SWEEP_POLICY = 'package sweep\n\ndeny[msg] {\n  r := input.tfplan.resource_changes[_]\n  msg := r.address\n}\n';
const SWEEP_PLAN = JSON.stringify({
  format_version: '1.2',
  resource_changes: [
    { address: 'aws_s3_bucket.b', type: 'aws_s3_bucket', name: 'b', change: { actions: ['create'], after: {} } },
  ],
});

const BODIES: Record<string, (hints: Record<string, unknown>) => unknown> = {
  createExternalBackend: (h) => ({
    purpose: 'remote_tfstate',
    ...(h.credential_canonical ? { credential_canonical: h.credential_canonical } : {}),
    configuration: { engine: 'HTTPStorage', url: 'https://state.example.com/sweep' },
  }),
  updateExternalBackend: (h) => ({
    purpose: 'remote_tfstate',
    ...(h.credential_canonical ? { credential_canonical: h.credential_canonical } : {}),
    configuration: { engine: 'HTTPStorage', url: 'https://state.example.com/sweep' },
  }),
  createCredential: () => ({
    name: 'Sweep credential',
    canonical: 'sweep-new-credential',
    type: 'basic_auth',
    path: 'sweep/new-credential',
    raw: { username: 'sweep-user', password: 'sweep-password' },
  }),
  updateCredential: (h) => ({
    name: 'Sweep credential',
    canonical: h.credential_canonical ?? 'sweep-credential',
    type: 'basic_auth',
    path: 'sweep/credential',
    raw: { username: 'sweep-user', password: 'sweep-password' },
  }),
  createInfraPolicy: (h) => ({
    name: 'Sweep new infra policy',
    canonical: 'sweep-new-infra-policy',
    body: SWEEP_POLICY,
    severity: 'advisory',
    owner: h.owner,
  }),
  updateInfraPolicy: (h) => ({
    name: 'Sweep infra policy',
    body: SWEEP_POLICY,
    severity: 'warning',
    enabled: true,
    description: '',
    owner: h.owner ?? '',
  }),
  validateProjectInfraPolicies: () => ({ tfplan: SWEEP_PLAN }),
  createComponent: (h) => ({
    name: 'Sweep new component',
    canonical: 'sweep-new-component',
    service_catalog_ref: h.service_catalog_ref,
    use_case: 'default',
  }),
  updateComponent: () => ({ name: 'Sweep component', use_case: 'default' }),
  createRole: () => ({ name: 'Sweep new role', rules: [{ action: 'organization:team:read', effect: 'allow' }] }),
  updateRole: () => ({ name: 'Sweep role', rules: [{ action: 'organization:team:read', effect: 'allow' }] }),
  createAPIKey: () => ({ name: 'Sweep new key', rules: [{ action: 'organization:event:read', effect: 'allow' }] }),
  canDo: () => ({ action: 'organization:read', entity_canonicals: [] }),
  createConfigRepository: (h) => ({
    name: 'Sweep new config',
    canonical: 'sweep-new-config',
    url: h.config_repository_url,
    branch: 'main',
    credential_canonical: h.credential_canonical,
    default: false,
  }),
  updateConfigRepository: (h) => ({
    name: 'Sweep config',
    url: h.config_repository_url,
    branch: 'main',
    credential_canonical: h.credential_canonical,
    default: true,
  }),
  createConfigRepositoryConfig: () => ({
    configs: [{ path: 'sweep/pipeline/variables.yml', content: Buffer.from('sweep: true\n').toString('base64') }],
  }),
  // Both commit to the sweep catalog: the first in an organization creates the stack, later ones get 409.
  createServiceCatalog: (h) => ({
    name: 'Sweep new stack',
    canonical: 'sweep-new-stack',
    author: 'Sweep',
    description: 'A stack the sweeps create',
    keywords: ['sweep'],
    service_catalog_source_canonical: h.service_catalog_source_canonical,
  }),
  createServiceCatalogFromTemplate: (h) => ({
    name: 'Sweep stack from a blueprint',
    canonical: 'sweep-from-blueprint',
    use_case: 'default',
    service_catalog_source_canonical: h.service_catalog_source_canonical,
  }),
  updateTeam: (h) => ({
    canonical: h.team_canonical ?? 'sweep-team',
    name: 'Sweep team',
    roles_canonical: h.roles_canonical ?? ['organization-member'],
  }),
};

const compiler = createSchemaCompiler(contract);
const compiled = new Map<string, ReturnType<typeof compileOperation>>();

export function validRequest(
  op: ContractOperation,
  orgCanonical: string,
  params: Record<string, string>,
  hints: Record<string, unknown>,
): RequestShape {
  const options = { schemas: contract.schemas, hints };
  const path: Record<string, string> = {};
  for (const p of op.parameters.filter((p) => p.in === 'path')) {
    path[p.name] =
      p.name === 'organization_canonical'
        ? orgCanonical
        : (params[p.name] ?? asParameter(sampleValue(p.schema, { schemas: contract.schemas })));
  }
  const query: Array<[string, string]> = [];
  for (const p of op.parameters.filter((p) => p.in === 'query' && p.required)) {
    const value = sampleValue(p.schema, { schemas: contract.schemas });
    for (const item of Array.isArray(value) ? value : [value]) query.push([p.name, asParameter(item)]);
  }
  const body = op.requestBody
    ? (BODIES[op.operationId]?.(hints) ?? sampleValue(op.requestBody.schema, options))
    : undefined;
  return { path, query, body };
}

/** The problems the server's own validators find in a request (none for a valid one). */
export function validationProblems(op: ContractOperation, spec: OperationSpec | undefined, request: RequestShape) {
  const key = op.operationId;
  const c = compiled.get(key) ?? compileOperation(op, compiler, (spec?.extraQuery ?? {}) as Record<string, Schema>);
  compiled.set(key, c);
  const problems: string[] = [];
  const params = c.params();
  if (!params({ ...request.path })) problems.push(`path: ${JSON.stringify(params.errors?.[0])}`);
  const query = c.query();
  if (!query(Object.fromEntries(request.query))) problems.push(`query: ${JSON.stringify(query.errors?.[0])}`);
  if (op.requestBody && request.body !== undefined) {
    const body = c.jsonBody();
    if (!body(structuredClone(request.body))) problems.push(`body: ${JSON.stringify(body.errors?.[0])}`);
  }
  return problems;
}
