import type { JsonSchema } from './contract.js';

/**
 * Known slips of the contract's generated client models, widened where the behaviour notes say the
 * server accepts more (credentials-and-backends.md §1: UpdateCredential's type enum omits `swift`, and
 * the list filters omit `vmware`, though both are credential types). Only enums grow: every request the
 * contract allows stays allowed, and response shapes are untouched.
 */
const ENUM_ADDITIONS: Array<{ at: (document: JsonSchema) => JsonSchema | undefined; values: string[] }> = [
  { at: (d) => schemas(d).UpdateCredential?.properties?.type, values: ['swift'] },
  // Public stacks declare form variables of type `raw` (a value written as is into HCL or YAML); the
  // contract's enum omits it, though forms read back from the server carry it (docs/stackforms.md).
  { at: (d) => schemas(d).FormEntity?.properties?.type, values: ['raw'] },
  {
    at: (d) => queryParameter(d, '/organizations/{organization_canonical}/credentials', 'credential_type'),
    values: ['vmware'],
  },
  {
    at: (d) => queryParameter(d, '/organizations/{organization_canonical}/credentials', 'credential_types')?.items,
    values: ['vmware'],
  },
];

const schemas = (document: JsonSchema) => (document.components as { schemas: Record<string, any> }).schemas;

function queryParameter(document: JsonSchema, path: string, name: string): any {
  const op = (document.paths as Record<string, Record<string, any>>)[path]?.get;
  return op?.parameters?.find((p: { name: string; in: string }) => p.in === 'query' && p.name === name)?.schema;
}

/**
 * Gantry's extensions of the contract's objects: optional fields only, so every request and answer of
 * the contract stays valid (docs/api-conventions.md lists them).
 */
const PROPERTY_ADDITIONS: Array<{ schema: string; name: string; property: Record<string, unknown> }> = [
  ...['NewAPIKey', 'UpdateAPIKey', 'APIKey'].map((schema) => ({
    schema,
    name: 'expires_at',
    property: {
      type: 'integer',
      format: 'uint64',
      minimum: 0,
      description: 'Gantry extension: Unix seconds after which the key stops working; absent: no expiry.',
    },
  })),
];

/**
 * Fields the contract marks required in an answer that Gantry cannot always give: a catalog repository
 * whose owner deleted their account has no owner until an admin names one (the row keeps working). The
 * field is then omitted rather than the whole answer failing (docs/api-conventions.md).
 */
const OPTIONAL_IN_ANSWERS: Array<{ schema: string; name: string }> = [
  { schema: 'ServiceCatalogSource', name: 'owner' },
];

/** Applies the errata in place; a schema no longer found (the contract was fixed) is simply skipped. */
export function applyErrata(document: JsonSchema): JsonSchema {
  for (const { schema, name } of OPTIONAL_IN_ANSWERS) {
    const target = schemas(document)[schema];
    if (Array.isArray(target?.required)) target.required = target.required.filter((field: string) => field !== name);
  }
  for (const { schema, name, property } of PROPERTY_ADDITIONS) {
    const target = schemas(document)[schema];
    if (target?.properties && !target.properties[name]) target.properties[name] = property;
  }
  for (const { at, values } of ENUM_ADDITIONS) {
    const schema = at(document);
    if (!schema || !Array.isArray(schema.enum)) continue;
    for (const value of values) if (!schema.enum.includes(value)) schema.enum.push(value);
  }
  return document;
}
