import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applyErrata } from './errata.js';
import { mergeExtensions } from './extensions.js';

/** Where the project's contract lives; the same relative path works from src/ and from dist/. */
export const CONTRACT_PATH = fileURLToPath(new URL('../../../openapi/openapi.json', import.meta.url));
/** Routes of this server beyond the contract, in the same OpenAPI form (see extensions.ts). */
export const EXTENSIONS_PATH = fileURLToPath(new URL('../../../openapi/extensions.json', import.meta.url));

export type JsonSchema = Record<string, unknown>;
/** The contract's methods, or an extension's own (`LOCK`, `UNLOCK`: see extensions.ts). */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | (string & {});

export interface ContractParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}

export interface ContractResponse {
  contentType: string | undefined;
  schema: JsonSchema | undefined;
}

export interface ContractOperation {
  operationId: string;
  method: HttpMethod;
  /** Path as written in the contract: `/organizations/{organization_canonical}`. */
  path: string;
  /** The same path in router syntax: `/organizations/:organization_canonical`. */
  routePath: string;
  tags: string[];
  summary: string;
  /** Declared with `security: []`: answers without a token. */
  isPublic: boolean;
  parameters: ContractParameter[];
  requestBody: { required: boolean; contentTypes: string[]; schema: JsonSchema } | undefined;
  /** The 2xx status a successful call answers with (200 when the contract declares none). */
  successStatus: number;
  /** Declared in openapi/extensions.json rather than in the contract. */
  extension: boolean;
  responses: Map<string, ContractResponse>;
}

export interface Contract {
  /** The contract (with its errata) and the extensions merged into it: what /openapi.json serves. */
  document: JsonSchema;
  /** components.schemas, untouched. */
  schemas: Record<string, JsonSchema>;
  operations: ContractOperation[];
  byId: Map<string, ContractOperation>;
}

let cached: Contract | undefined;

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as JsonSchema;

/**
 * Loads and indexes the contract with the extensions beside it, once per process (both are immutable
 * at run time). `extensionsPath: null` loads the contract alone.
 */
export function loadContract(path = CONTRACT_PATH, extensionsPath: string | null = EXTENSIONS_PATH): Contract {
  const standard = path === CONTRACT_PATH && extensionsPath === EXTENSIONS_PATH;
  if (cached && standard) return cached;
  const base = indexContract(applyErrata(readJson(path)));
  const contract = extensionsPath ? withExtensions(base, readJson(extensionsPath)) : base;
  if (standard) cached = contract;
  return contract;
}

/**
 * A contract with an extension document merged in (tests add test-only operations this way); the
 * given contract is not modified.
 */
export function withExtensions(contract: Contract, extensions: JsonSchema): Contract {
  const merged = mergeExtensions(contract.document, extensions);
  const known = contract.operations.filter((op) => op.extension).map((op) => op.operationId);
  return indexContract(merged.document, new Set([...known, ...merged.operationIds]));
}

const METHODS = ['get', 'post', 'put', 'delete', 'patch'] as const;

/** Each operation of a path item: the standard methods, then OpenAPI 3.2's `additionalOperations`. */
function operationsOf(item: Record<string, unknown>): Array<[string, Record<string, unknown>]> {
  const found: Array<[string, Record<string, unknown>]> = [];
  for (const method of METHODS) {
    const op = item[method] as Record<string, unknown> | undefined;
    if (op) found.push([method.toUpperCase(), op]);
  }
  for (const [method, op] of Object.entries(
    (item.additionalOperations ?? {}) as Record<string, Record<string, unknown>>,
  )) {
    found.push([method, op]);
  }
  return found;
}

export function indexContract(document: JsonSchema, extensionIds: ReadonlySet<string> = new Set()): Contract {
  const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>;
  const components = document.components as { schemas: Record<string, JsonSchema> };
  const operations: ContractOperation[] = [];
  const byId = new Map<string, ContractOperation>();

  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of operationsOf(item)) {
      const operationId = op.operationId as string;
      if (byId.has(operationId)) throw new Error(`contract: duplicate operationId ${operationId}`);
      const responses = new Map<string, ContractResponse>();
      for (const [status, response] of Object.entries(
        (op.responses ?? {}) as Record<string, Record<string, unknown>>,
      )) {
        const content = response.content as Record<string, { schema?: JsonSchema }> | undefined;
        const contentType = content ? Object.keys(content)[0] : undefined;
        responses.set(status, { contentType, schema: contentType ? content?.[contentType]?.schema : undefined });
      }
      const success = [...responses.keys()].filter((s) => /^2\d\d$/.test(s)).sort()[0];
      const body = op.requestBody as
        | { required?: boolean; content: Record<string, { schema: JsonSchema }> }
        | undefined;
      const operation: ContractOperation = {
        operationId,
        method,
        path,
        routePath: path.replace(/\{([^}]+)\}/g, ':$1'),
        tags: (op.tags as string[] | undefined) ?? [],
        summary: (op.summary as string | undefined) ?? '',
        isPublic: Array.isArray(op.security) && op.security.length === 0,
        parameters: ((op.parameters as ContractParameter[] | undefined) ?? []).map((p) => ({
          name: p.name,
          in: p.in,
          required: Boolean(p.required),
          schema: p.schema ?? {},
        })),
        requestBody: body
          ? {
              required: Boolean(body.required),
              contentTypes: Object.keys(body.content),
              schema: Object.values(body.content)[0].schema,
            }
          : undefined,
        successStatus: success ? Number(success) : 200,
        extension: extensionIds.has(operationId),
        responses,
      };
      operations.push(operation);
      byId.set(operationId, operation);
    }
  }
  return { document, schemas: components.schemas, operations, byId };
}
