import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applyErrata } from './errata.js';

/** Where the project's contract lives; the same relative path works from src/ and from dist/. */
export const CONTRACT_PATH = fileURLToPath(new URL('../../../openapi/openapi.json', import.meta.url));

export type JsonSchema = Record<string, unknown>;
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

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
  responses: Map<string, ContractResponse>;
}

export interface Contract {
  document: JsonSchema;
  /** components.schemas, untouched. */
  schemas: Record<string, JsonSchema>;
  operations: ContractOperation[];
  byId: Map<string, ContractOperation>;
}

let cached: Contract | undefined;

/** Loads and indexes the contract once per process (it is immutable at run time). */
export function loadContract(path = CONTRACT_PATH): Contract {
  if (cached && path === CONTRACT_PATH) return cached;
  const document = applyErrata(JSON.parse(readFileSync(path, 'utf8')) as JsonSchema);
  const contract = indexContract(document);
  if (path === CONTRACT_PATH) cached = contract;
  return contract;
}

const METHODS = ['get', 'post', 'put', 'delete', 'patch'] as const;

export function indexContract(document: JsonSchema): Contract {
  const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>;
  const components = document.components as { schemas: Record<string, JsonSchema> };
  const operations: ContractOperation[] = [];
  const byId = new Map<string, ContractOperation>();

  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
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
        method: method.toUpperCase() as HttpMethod,
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
        responses,
      };
      operations.push(operation);
      byId.set(operationId, operation);
    }
  }
  return { document, schemas: components.schemas, operations, byId };
}
