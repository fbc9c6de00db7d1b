import type { ValidateFunction } from 'ajv';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthCache } from '../authz/cache.js';
import type { Db } from '../db/database.js';
import { AppError, badRequest, forbidden, notImplemented } from '../errors.js';
import type { Authenticator } from './auth.js';
import { acceptBinaryBodies, type RouteConfig, rawBodyOf } from './bodies.js';
import type { Contract, ContractOperation, JsonSchema } from './contract.js';
import { checkInputLimits } from './input-limits.js';
import type {
  AuditWriter,
  Authorizer,
  HandlerContext,
  Module,
  OperationId,
  OperationSpec,
  StreamEvent,
} from './operation.js';
import { parseOrderBy } from './ordering.js';
import { foldPagingAliases, PAGING_QUERY_SCHEMAS, Page, pagingFrom } from './paging.js';
import { checkResponseDeclarations, sendDeclared } from './respond.js';
import { describeValidationError, type SchemaCompiler, toLooseRef, toStrictRef } from './schemas.js';
import { type StreamHub, sendStream } from './stream.js';
import { presentedToken, QUERY_TOKEN_PARAMS } from './tokens.js';

export interface RegistrarDeps {
  contract: Contract;
  compiler: SchemaCompiler;
  db: Db;
  authenticator: Authenticator;
  authorizer?: Authorizer;
  audit?: AuditWriter;
  /** Where failures of after-commit tasks are logged. */
  log?: FastifyBaseLogger;
  /** Called when a write that can change access (Module.accessWrites) has finished, committed or not. */
  onAccessWrite?: () => void;
  /** Identity and access data remembered between access writes, handed to handlers (ctx.accessCache). */
  accessCache?: AuthCache;
  /** Where streaming operations register, so that shutdown ends them (required if any streams). */
  streams?: StreamHub;
}

const FORM_TYPE = 'application/x-www-form-urlencoded';
const BINARY_BY_DEFAULT = /^(application\/json|application\/[\w.+-]*\+json|application\/x-www-form-urlencoded)$/;
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** Memoizes a compile step so each schema is compiled on first use only. */
function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    if (value === undefined) value = make();
    return value;
  };
}

/** Builds the validators and serializers of one operation from its contract entry. */
export function compileOperation(
  op: ContractOperation,
  compiler: SchemaCompiler,
  extraQuery: Record<string, unknown> = {},
  listItems?: JsonSchema,
) {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  /** `overrides` win over the contract: paging bounds apply even where the contract declares none. */
  const objectOf = (params: typeof pathParams, extra: Record<string, unknown> = {}, overrides = {}): JsonSchema => ({
    type: 'object',
    properties: { ...extra, ...Object.fromEntries(params.map((p) => [p.name, toStrictRef(p.schema)])), ...overrides },
    required: params.filter((p) => p.required).map((p) => p.name),
    additionalProperties: false,
  });
  const params = lazy(() => compiler.coercing(objectOf(pathParams)));
  const query = lazy(() => compiler.coercing(objectOf(queryParams, extraQuery, PAGING_QUERY_SCHEMAS)));
  const bodySchema = op.requestBody ? toStrictRef(op.requestBody.schema) : undefined;
  const jsonBody = lazy(() => compiler.body(bodySchema ?? {}));
  const formBody = lazy(() => compiler.coercing(bodySchema ?? {}));
  const serializers = new Map<number, () => (data: unknown) => string>();
  for (const [status, response] of op.responses) {
    if (!/^\d+$/.test(status) || !response.schema || response.contentType !== 'application/json') continue;
    const schema = toLooseRef(
      listItems && Number(status) === op.successStatus ? withListItems(response.schema, listItems) : response.schema,
    );
    serializers.set(
      Number(status),
      lazy(() => compiler.serializer(schema)),
    );
  }
  const needsQuery = queryParams.some(
    (p) => p.required || (p.schema.default !== undefined && !Object.hasOwn(PAGING_QUERY_SCHEMAS, p.name)),
  );
  return {
    params,
    query,
    /** No path parameters: nothing to copy or check. */
    hasPathParams: pathParams.length > 0,
    /** An empty query string must still be validated when a parameter is required or has a default. */
    needsQuery,
    jsonBody,
    formBody,
    serializer: (status: number) => serializers.get(status)?.(),
    /** Forces every compile now (used by the contract test). */
    compileAll() {
      params();
      query();
      if (bodySchema) {
        jsonBody();
        formBody();
      }
      for (const make of serializers.values()) make();
    },
  };
}

/** The list envelope with its items described by another schema (see OperationSpec.listItems). */
function withListItems(schema: JsonSchema, items: JsonSchema): JsonSchema {
  const data = (schema.properties as Record<string, JsonSchema> | undefined)?.data;
  if (data?.type !== 'array') throw new Error('listItems: the response of this operation is not a list');
  return {
    ...schema,
    properties: { ...(schema.properties as object), data: { ...data, items } },
  };
}

function check(validate: ValidateFunction, value: unknown, location: string): void {
  if (!validate(value)) {
    const first = validate.errors?.[0];
    const message = first ? describeValidationError(location, first) : `${location}: is invalid`;
    throw badRequest(
      message,
      (validate.errors ?? []).map((e) => describeValidationError(location, e)),
    );
  }
}

/** Registers every contract operation; modules supply the entries they implement. */
export function registerOperations(app: FastifyInstance, modules: Module[], deps: RegistrarDeps): void {
  const specs = new Map<string, OperationSpec>();
  const accessWrites = new Set<string>();
  for (const module of modules) {
    const declared = module.accessWrites === 'all' ? Object.keys(module.operations) : (module.accessWrites ?? []);
    for (const operationId of declared) {
      if (!module.operations[operationId as OperationId]) {
        throw new Error(`module ${module.name}: accessWrites names '${operationId}', which it does not implement`);
      }
      accessWrites.add(operationId);
    }
    for (const [operationId, spec] of Object.entries(module.operations)) {
      if (!deps.contract.byId.has(operationId)) {
        throw new Error(`module ${module.name}: '${operationId}' is not an operation of the contract`);
      }
      if (specs.has(operationId)) throw new Error(`module ${module.name}: '${operationId}' is defined twice`);
      checkDeclarations(module.name, deps.contract.byId.get(operationId) as ContractOperation, spec);
      if (spec.respond === 'stream' && !deps.streams)
        throw new Error(`'${operationId}' streams: the registrar needs a StreamHub`);
      for (const type of binaryTypes(deps.contract.byId.get(operationId) as ContractOperation, spec)) {
        acceptBinaryBodies(app, type);
      }
      specs.set(operationId, spec);
    }
  }

  for (const op of deps.contract.operations) {
    const spec = specs.get(op.operationId);
    const compiled = compileOperation(op, deps.compiler, spec?.extraQuery, spec?.listItems);
    const handler = buildHandler(op, spec, compiled, deps, accessWrites.has(op.operationId));
    // Extensions may use methods beyond Fastify's defaults (Terraform's LOCK and UNLOCK carry a body).
    if (!app.supportedMethods.includes(op.method)) app.addHttpMethod(op.method, { hasBody: true });
    const config: RouteConfig = { operationId: op.operationId, ...(spec?.rawBody ? { rawBody: true } : {}) };
    app.route({ method: op.method, url: op.routePath, handler, config, bodyLimit: spec?.bodyLimit });
  }
}

/** Content types an operation takes as bytes: declared on its spec or in its document's request body. */
function binaryTypes(op: ContractOperation, spec: OperationSpec): string[] {
  const declared = [...(spec.bodyTypes ?? []), ...(op.requestBody?.contentTypes ?? [])];
  return [...new Set(declared.filter((type) => !BINARY_BY_DEFAULT.test(type)))];
}

/**
 * Tenant isolation and auditing are declared, not remembered: an operation under an organization
 * must say which permission it needs, and one that changes something there must say what it records.
 */
function checkDeclarations(module: string, op: ContractOperation, spec: OperationSpec): void {
  const scoped = op.path.includes('{organization_canonical}') && !op.isPublic;
  if (scoped && !spec.permission) {
    throw new Error(`module ${module}: '${op.operationId}' is organization-scoped and must declare a permission`);
  }
  if (spec.permission && !op.path.includes('{organization_canonical}')) {
    throw new Error(`module ${module}: '${op.operationId}' declares a permission but has no organization in its path`);
  }
  if (scoped && op.method !== 'GET' && !spec.audit && !spec.noAudit) {
    throw new Error(`module ${module}: '${op.operationId}' changes organization data and must declare an audit event`);
  }
  if (spec.bodyLimit !== undefined && (!Number.isSafeInteger(spec.bodyLimit) || spec.bodyLimit <= 0)) {
    throw new Error(`module ${module}: '${op.operationId}' bodyLimit must be a positive number of bytes`);
  }
  if ((spec.rawBody || spec.bodyTypes?.length) && !op.requestBody) {
    throw new Error(`module ${module}: '${op.operationId}' asks for body options but takes no request body`);
  }
  checkResponseDeclarations(module, op, spec);
}

function buildHandler(
  op: ContractOperation,
  spec: OperationSpec | undefined,
  compiled: ReturnType<typeof compileOperation>,
  deps: RegistrarDeps,
  changesAccess: boolean,
) {
  const { authenticator, db } = deps;
  // An API key acts for its organization: outside organization paths it only serves public operations
  // and those that declare they accept keys (e.g. listing the organizations a key reaches).
  const keysAllowed = op.isPublic || op.path.includes('{organization_canonical}') || spec?.allowApiKeys === true;
  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    // Public operations called without a token skip the authenticator (and its promise) entirely.
    const actor = op.isPublic && !presentedToken(request) ? undefined : await authenticator.authenticate(request);
    if (actor?.readonly && !SAFE_METHODS.has(request.method)) {
      throw forbidden('this token is read-only: only GET and HEAD requests are allowed');
    }
    if (actor?.kind === 'api_key' && !keysAllowed) {
      throw forbidden('API keys only work on organization endpoints (/organizations/{organization_canonical}/...)');
    }

    const params: Record<string, unknown> = compiled.hasPathParams ? { ...(request.params as object) } : {};
    if (compiled.hasPathParams) {
      checkInputLimits(params, 'path');
      check(compiled.params(), params, 'path');
    }
    const rawQuery = request.query as Record<string, unknown>;
    const query: Record<string, unknown> = hasKeys(rawQuery) ? { ...rawQuery } : {};
    for (const carrier of QUERY_TOKEN_PARAMS) delete query[carrier];
    foldPagingAliases(query);
    // Fast path for the common bare GET: an empty query with nothing required or defaulted is valid.
    if (hasKeys(query)) checkInputLimits(query, 'query');
    if (compiled.needsQuery || hasKeys(query)) check(compiled.query(), query, 'query');
    const body = validateBody(op, compiled, request, spec);

    if (!spec) throw notImplemented(op.operationId);
    const streaming = spec.respond === 'stream';
    const aborter = streaming ? new AbortController() : undefined;

    let afterCommit: Array<() => Promise<unknown>> | undefined;
    const ctx: HandlerContext = {
      operationId: op.operationId,
      params,
      query,
      body,
      rawBody: spec.rawBody ? rawBodyOf(request) : undefined,
      lastEventId: streaming ? lastEventId(request) : undefined,
      signal: aborter?.signal,
      db,
      actor,
      access: undefined,
      accessCache: deps.accessCache,
      paging: pagingFrom(query),
      orderBy: parseOrderBy(query.order_by, spec.sortable),
      requestId: request.id,
      request,
      reply,
      afterCommit: (task) => {
        afterCommit ??= [];
        afterCommit.push(task);
      },
    };
    let result: unknown;
    if (spec.prepare) {
      await authorize(spec, ctx, deps);
      ctx.prepared = await spec.prepare(ctx);
      result = await db.transaction().execute((trx) => run(spec, { ...ctx, db: trx }, deps, false));
    } else if (spec.tx || spec.audit)
      result = await db.transaction().execute((trx) => run(spec, { ...ctx, db: trx }, deps));
    else if (spec.permission) result = await run(spec, ctx, deps);
    else {
      // Nothing to check or record: call the handler directly, awaiting only a real promise.
      result = spec.handler(ctx);
      if (result instanceof Promise) result = await result;
    }
    if (afterCommit) await runAfterCommit(afterCommit, op.operationId, request.id, deps.log);
    if (streaming && aborter && deps.streams) {
      // The permission was checked above; no transaction is open (streams cannot declare one).
      const source = result as AsyncIterable<StreamEvent>;
      if (request.method === 'HEAD') {
        // Headers only: the source is released before it produced anything.
        aborter.abort();
        await source[Symbol.asyncIterator]().return?.();
        return reply.code(200).type('text/event-stream; charset=utf-8').send();
      }
      await sendStream(reply, source, spec.stream ?? {}, deps.streams, () => aborter.abort(), deps.log);
      return reply;
    }
    if (reply.sent) return reply;
    if (spec.respond && spec.respond !== 'envelope') return sendDeclared(reply, op, spec.respond, result);
    return sendResult(reply, op, compiled, result);
  };
  if (!deps.onAccessWrite || op.method === 'GET' || !changesAccess) return handle;
  const onAccessWrite = deps.onAccessWrite;
  return async function accessChangingHandler(request: FastifyRequest, reply: FastifyReply) {
    try {
      return await handle(request, reply);
    } finally {
      onAccessWrite();
    }
  };
}

/** Tasks of a committed operation, in order; a failure is logged and does not undo the operation. */
async function runAfterCommit(
  tasks: Array<() => Promise<unknown>>,
  operationId: string,
  requestId: string,
  log: FastifyBaseLogger | undefined,
): Promise<void> {
  for (const task of tasks) {
    try {
      await task();
    } catch (error) {
      log?.error({ err: error, operationId, request_id: requestId }, 'a task after the commit failed');
    }
  }
}

function hasKeys(object: object): boolean {
  for (const _ in object) return true;
  return false;
}

async function authorize(spec: OperationSpec, ctx: HandlerContext, deps: RegistrarDeps): Promise<void> {
  if (!spec.permission) return;
  if (!deps.authorizer) throw new AppError('InternalError', 'no authorizer configured');
  await deps.authorizer(spec.permission, ctx);
}

async function run(
  spec: OperationSpec,
  ctx: HandlerContext,
  deps: RegistrarDeps,
  authorizing = true,
): Promise<unknown> {
  if (authorizing) await authorize(spec, ctx, deps);
  const result = await spec.handler(ctx);
  // The table's typing (defineOperations) ties `result` to the handler; erased here, as the table is.
  const record = spec.audit?.(ctx, result as never);
  if (record) {
    if (!deps.audit) throw new AppError('InternalError', 'no audit writer configured');
    await deps.audit(ctx.db, record, ctx);
  }
  return result;
}

/** `Last-Event-ID` of a reconnecting event-stream client, bounded like any other input. */
function lastEventId(request: FastifyRequest): string | undefined {
  const value = request.headers['last-event-id'];
  if (typeof value !== 'string' || value === '') return undefined;
  if (value.length > 256) throw badRequest('header Last-Event-ID: at most 256 characters are allowed');
  return value;
}

function validateBody(
  op: ContractOperation,
  compiled: ReturnType<typeof compileOperation>,
  request: FastifyRequest,
  spec: OperationSpec | undefined,
) {
  const body = request.body;
  if (Buffer.isBuffer(body)) {
    const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!spec || !binaryTypes(op, spec).includes(type)) {
      throw new AppError('UnsupportedMediaType', `body: this operation does not accept ${type}`);
    }
    if (body.length === 0 && op.requestBody?.required) throw badRequest('body: a request body is required');
    return body;
  }
  const empty = body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0);
  if (!op.requestBody) {
    if (!empty) throw badRequest('body: this operation takes no request body');
    return undefined;
  }
  if (body === undefined || body === null) {
    if (op.requestBody.required) throw badRequest('body: a JSON request body is required');
    return undefined;
  }
  checkInputLimits(body, 'body');
  const isForm = (request.headers['content-type'] ?? '').startsWith(FORM_TYPE);
  const copy = isForm ? { ...(body as Record<string, unknown>) } : body;
  check(isForm ? compiled.formBody() : compiled.jsonBody(), copy, 'body');
  return copy;
}

function sendResult(
  reply: FastifyReply,
  op: ContractOperation,
  compiled: ReturnType<typeof compileOperation>,
  result: unknown,
) {
  const status = op.successStatus;
  reply.code(status);
  if (status === 204) return reply.send();
  const envelope =
    result instanceof Page
      ? {
          data: result.items,
          pagination: { index: result.paging.index, size: result.paging.size, total: result.total },
        }
      : { data: result };
  const serialize = compiled.serializer(status);
  if (!serialize) return reply.send(envelope);
  return reply.type('application/json; charset=utf-8').send(serialize(envelope));
}
