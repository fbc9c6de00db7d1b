import { METHODS as NODE_METHODS } from 'node:http';

/**
 * Routes of this server beyond the Cycloid contract live in `openapi/extensions.json`, written in the
 * same OpenAPI form. They are merged into the contract document at load, so the registrar, the schema
 * compiler, the generated types and `/openapi.json` treat them like the contract's own operations.
 *
 * Rules (checked here at boot, and in CI by scripts/check-contract.mjs, which calls this function):
 * - every operation is tagged `Gantry extensions`, so the reference lists them apart;
 * - no operationId, no method on an equivalent path and no component schema name is shared with the
 *   contract: an extension never replaces or shadows a contract route;
 * - schemas may `$ref` the contract's components (`#/components/schemas/…`): both live in one document;
 * - methods outside OpenAPI's list (Terraform's `LOCK`/`UNLOCK`) are declared the OpenAPI 3.2 way, in a
 *   path item's `additionalOperations`, and must be methods Node's HTTP parser knows.
 */
export const EXTENSIONS_TAG = 'Gantry extensions';

type Json = Record<string, any>;

const STANDARD_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** `/a/{x}/b` and `/a/{y}/b` are one route to a router. */
const routeShape = (path: string) => path.replace(/\{[^}]+\}/g, '{}');

/** Every operation of a document as [METHOD, path, operation]. */
export function operationsOfDocument(document: Json): Array<[string, string, Json]> {
  const out: Array<[string, string, Json]> = [];
  for (const [path, item] of Object.entries((document.paths ?? {}) as Record<string, Json>)) {
    for (const method of STANDARD_METHODS) if (item[method]) out.push([method.toUpperCase(), path, item[method]]);
    for (const [method, op] of Object.entries((item.additionalOperations ?? {}) as Record<string, Json>)) {
      out.push([method, path, op]);
    }
  }
  return out;
}

/** What is wrong with an extension document beside a contract; empty when it can be merged. */
export function extensionProblems(contract: Json, extensions: Json): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const routes = new Set<string>();
  for (const [method, path, op] of operationsOfDocument(contract)) {
    ids.add(op.operationId);
    routes.add(`${method} ${routeShape(path)}`);
  }
  for (const [method, path, op] of operationsOfDocument(extensions)) {
    const where = `${method} ${path}`;
    if (typeof op.operationId !== 'string' || op.operationId === '') problems.push(`${where}: no operationId`);
    else if (ids.has(op.operationId)) problems.push(`${where}: operationId '${op.operationId}' is already used`);
    else ids.add(op.operationId);
    const route = `${method} ${routeShape(path)}`;
    if (routes.has(route)) problems.push(`${where}: the route is already taken (by the contract or another extension)`);
    routes.add(route);
    if (!Array.isArray(op.tags) || !op.tags.includes(EXTENSIONS_TAG)) {
      problems.push(`${where}: must be tagged '${EXTENSIONS_TAG}'`);
    }
  }
  for (const [path, item] of Object.entries((extensions.paths ?? {}) as Record<string, Json>)) {
    if (contract.paths?.[path]) {
      for (const key of Object.keys(item)) {
        if (key !== 'additionalOperations' && !STANDARD_METHODS.includes(key)) {
          problems.push(`${path}: '${key}' would change the contract's path item; declare it on each operation`);
        }
      }
    }
    for (const method of Object.keys(item.additionalOperations ?? {})) {
      if (method !== method.toUpperCase() || !NODE_METHODS.includes(method)) {
        problems.push(`${method} ${path}: not an HTTP method Node.js accepts (${NODE_METHODS.length} are)`);
      } else if (STANDARD_METHODS.includes(method.toLowerCase())) {
        problems.push(`${method} ${path}: standard methods go in the path item, not in additionalOperations`);
      }
    }
  }
  const schemas = (contract.components?.schemas ?? {}) as Json;
  for (const name of Object.keys(extensions.components?.schemas ?? {})) {
    if (Object.hasOwn(schemas, name))
      problems.push(`components.schemas.${name}: the contract already has a schema of that name`);
  }
  return problems;
}

/**
 * The contract document with the extensions' paths, schemas and tags added (a new object; the contract
 * is not modified) and the ids of the operations that came from the extensions.
 */
export function mergeExtensions(contract: Json, extensions: Json): { document: Json; operationIds: Set<string> } {
  const problems = extensionProblems(contract, extensions);
  if (problems.length > 0) throw new Error(`openapi/extensions.json: ${problems.join('; ')}`);
  const paths: Json = { ...contract.paths };
  for (const [path, item] of Object.entries((extensions.paths ?? {}) as Record<string, Json>)) {
    const existing = paths[path] as Json | undefined;
    paths[path] = existing
      ? {
          ...existing,
          ...item,
          additionalOperations: { ...existing.additionalOperations, ...item.additionalOperations },
        }
      : item;
    if (Object.keys(paths[path].additionalOperations ?? {}).length === 0) delete paths[path].additionalOperations;
  }
  const knownTags = new Set(((contract.tags ?? []) as Json[]).map((t) => t.name));
  const document: Json = {
    ...contract,
    tags: [...(contract.tags ?? []), ...((extensions.tags ?? []) as Json[]).filter((t) => !knownTags.has(t.name))],
    paths,
    components: {
      ...contract.components,
      schemas: { ...contract.components?.schemas, ...extensions.components?.schemas },
    },
  };
  return {
    document,
    operationIds: new Set(operationsOfDocument(extensions).map(([, , op]) => op.operationId as string)),
  };
}
