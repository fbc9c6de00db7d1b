import type { FastifyReply, FastifyRequest } from 'fastify';
import type { operations } from '../../generated/contract.js';
import type { Access } from '../authz/access.js';
import type { AuthCache } from '../authz/cache.js';
import type { DbHandle } from '../db/database.js';
import type { Actor } from './auth.js';
import type { OrderBy } from './ordering.js';
import type { Page, Paging } from './paging.js';

/** Everything a handler gets; handlers never touch Fastify or raw input themselves. */
export interface HandlerContext<P = Record<string, any>, Q = Record<string, any>, B = any> {
  operationId: string;
  /** Validated, type-coerced path parameters. */
  params: P;
  /** Validated query parameters, without paging aliases or token carriers. */
  query: Q;
  /**
   * Validated body (undefined when the operation takes none); a Buffer for the binary content types
   * an operation accepts (`bodyTypes`).
   */
  body: B;
  /** The body's bytes exactly as received, for operations declared `rawBody: true` (checksums). */
  rawBody?: Buffer;
  /** Streaming operations: the `Last-Event-ID` a reconnecting client sent, to resume after it. */
  lastEventId?: string;
  /**
   * Streaming operations: aborted when the stream ends (client gone, too slow, shutdown), so a source
   * waiting for events (a notification channel) lets go of what it holds.
   */
  signal?: AbortSignal;
  /** The root handle, or the open transaction for operations declared `tx: true`. */
  db: DbHandle;
  /** The caller; undefined only on public operations called without a token. */
  actor: Actor | undefined;
  /** The caller's standing in the path's organization, set by the permission check. */
  access: Access | undefined;
  /**
   * Identity and access data remembered between access writes (roles and their rules): cleared, like the
   * token and permission cache it is, by every write that can change them, on every replica. Absent in
   * contexts built outside the registrar; readers then go to the database.
   */
  accessCache?: AuthCache;
  /** What the operation's `prepare` step returned (undefined without one). */
  prepared?: unknown;
  paging: Paging;
  orderBy: OrderBy[];
  requestId: string;
  request: FastifyRequest;
  reply: FastifyReply;
  /**
   * Runs `task` once the operation's transaction has committed (right after the handler when there is
   * none); dropped if it rolls back. For slow I/O (mail) that must hold no lock; failures are logged.
   */
  afterCommit(task: () => Promise<unknown>): void;
}

/** Written in the same transaction as the operation's changes (see the events module). */
export interface AuditRecord {
  action: string;
  target?: string;
  organizationId?: number | null;
  details?: Record<string, unknown>;
}

export type HandlerResult = unknown | Page<unknown> | undefined;

/**
 * How a successful result goes on the wire (`OperationSpec.respond`):
 * - `envelope` (default): `{data}` or `{data, pagination}`, serialized from the response schema;
 * - `raw`: the handler returns a `RawResponse` (bytes and a content type: a state file, an archive);
 * - `redirect`: the handler returns a `Redirect`;
 * - `stream`: the handler returns an `AsyncIterable<StreamEvent>`, sent as `text/event-stream`
 *   (platform/http/stream.ts); only for GET, without a transaction.
 */
export type RespondKind = 'envelope' | 'raw' | 'redirect' | 'stream';

export interface RawResponse {
  body: Buffer | string;
  /** Defaults to the content type the operation's response declares, else application/octet-stream. */
  contentType?: string;
  /** One of the operation's declared responses; defaults to its success status. */
  status?: number;
  headers?: Record<string, string>;
}

export interface Redirect {
  location: string;
  /** Defaults to the operation's declared 3xx response, else 302. */
  status?: 301 | 302 | 303 | 307 | 308;
}

/** One server-sent event; `data` that is not a string is sent as JSON. */
export interface StreamEvent {
  id?: string;
  event?: string;
  data: unknown;
}

/** Limits of a streaming operation (`OperationSpec.stream`); see platform/http/stream.ts for defaults. */
export interface StreamOptions {
  /** A comment line is sent after this much silence, so proxies and clients keep the connection. */
  heartbeatMs?: number;
  /** Bytes the server may hold for a client that reads slower than events come; over it, the stream ends. */
  maxBufferedBytes?: number;
  /** How long a client may read nothing at all while the server waits to write; then the stream ends. */
  stallMs?: number;
  /** At shutdown, how long open streams may go on before they are ended (within GANTRY_SHUTDOWN_TIMEOUT_MS). */
  shutdownGraceMs?: number;
}

/**
 * One entry of a module's operation table: the declared, cross-cutting steps plus a short handler.
 * The registrar runs them in order: authenticate -> validate -> authorize -> (transaction: handler ->
 * audit) -> serialize.
 */
export interface OperationSpec<Ctx extends HandlerContext = HandlerContext> {
  /** Permission required, checked by the authorizer before the handler runs. */
  permission?: PermissionSpec;
  /** Run the handler (and its audit record) in one database transaction. */
  tx?: boolean;
  /**
   * Slow I/O a write needs before it changes anything (a git ls-remote or push): runs after the
   * permission check and before the transaction opens, so no lock is held while it waits. The handler
   * reads its result from `ctx.prepared` and rechecks, inside the transaction, what may have changed.
   */
  prepare?: (ctx: Ctx) => Promise<unknown>;
  /**
   * Query parameters this server accepts beyond the contract's (JSON schemas by name), e.g. an
   * invitation token on login. Documented in docs/api-conventions.md; everything else stays a 400.
   */
  extraQuery?: Record<string, Record<string, unknown>>;
  /** Accept API keys on an operation outside organization paths (they are refused there otherwise). */
  allowApiKeys?: true;
  /**
   * Serialize list items with this schema (contract `$ref`s allowed) instead of the declared one, where
   * the contract's text promises more than its schema (listCredentials returns `raw` to readers).
   */
  listItems?: Record<string, unknown>;
  /** Wire field -> column, for `order_by`. */
  sortable?: Record<string, string>;
  /** Largest request body accepted, in bytes; above it a 413 names the limit (default GANTRY_BODY_LIMIT, 1 MiB). */
  bodyLimit?: number;
  /** Keep the body's exact bytes in `ctx.rawBody` (JSON and binary bodies), e.g. to check a checksum. */
  rawBody?: true;
  /**
   * Binary content types accepted beside JSON and forms (e.g. `application/octet-stream`): the body
   * arrives as a Buffer. Other operations answer such a body with a 415.
   */
  bodyTypes?: readonly string[];
  /** How a successful result is answered (see RespondKind); declared here, never improvised by a handler. */
  respond?: RespondKind;
  /** Limits of a `respond: 'stream'` operation. */
  stream?: StreamOptions;
  /** Describe the audit event of a successful call; it is written inside the transaction. */
  audit?: (ctx: Ctx, result: never) => AuditRecord | undefined;
  /** For writes that change nothing worth recording (e.g. a dry-run check); says why by existing. */
  noAudit?: true;
  handler: (ctx: Ctx) => Promise<HandlerResult> | HandlerResult;
}

/**
 * What an organization-scoped operation requires (see platform/authz). The organization comes from
 * the path; an action of `null` asks only for standing in the organization (any member or key).
 */
export interface PermissionSpec {
  action: string | null;
  /** Entity canonicals after the organization, e.g. ctx => [ctx.params.project_canonical]. */
  entities?: (ctx: HandlerContext) => string[];
  /** The user owning the entity acted on: owners may do everything on their own entity. */
  owner?: (ctx: HandlerContext) => Promise<number | null | undefined>;
}

/** What the registrar reads: specs by contract operationId, their typing erased (see `defineOperations`). */
export type OperationTable = { readonly [K in OperationId]?: OperationSpec };

/**
 * A table of operations the generated types do not know: test-only contracts and benchmarks that add
 * operations at run time. Modules of the product use `defineOperations`.
 */
export function untypedOperations(table: Record<string, OperationSpec<any>>): OperationTable {
  return table as OperationTable;
}

/** Declared by modules; the registrar refuses operationIds the contract does not have. */
export interface Module {
  name: string;
  operations: OperationTable;
  /**
   * Writes that can change who may do what (accounts, memberships, roles, teams' members and roles, API
   * keys): when one finishes, resolved tokens and access are dropped from the auth cache on every
   * replica. Other writes (creating a team, a credential) leave the cache warm. `'all'` for a module
   * whose every write can.
   */
  accessWrites?: 'all' | readonly OperationId[];
}

/** Checks a permission; throws Forbidden/NotFound. Supplied by the authorization layer. */
export type Authorizer = (permission: PermissionSpec, ctx: HandlerContext) => Promise<void>;
/** Writes an audit record with the given handle (the operation's transaction). */
export type AuditWriter = (db: DbHandle, record: AuditRecord, ctx: HandlerContext) => Promise<void>;

/** The JSON request body of a contract operation, as the generated types describe it. */
export type RequestBody<Op extends keyof operations> = operations[Op] extends {
  requestBody: { content: { 'application/json': infer B } };
}
  ? B
  : never;

/**
 * Loads something once per request, however many steps ask for it: the entity of the path is needed by
 * the permission check (its owner) and by the handler. Keyed by the request's context object, which the
 * registrar hands to both.
 */
export function oncePerRequest<T>(load: (ctx: HandlerContext) => Promise<T>): (ctx: HandlerContext) => Promise<T> {
  const loaded = new WeakMap<HandlerContext, Promise<T>>();
  return (ctx) => {
    let value = loaded.get(ctx);
    if (!value) {
      value = load(ctx);
      loaded.set(ctx, value);
    }
    return value;
  };
}

/* Operation tables typed by operationId, from the generated contract types. */

export type OperationId = keyof operations;
type ParametersOf<K extends OperationId> = operations[K]['parameters'];
type NoFields = Record<string, never>;

/** The validated path parameters of an operation. */
export type PathParams<K extends OperationId> = ParametersOf<K> extends { path: infer P } ? P : NoFields;

/**
 * The validated query of an operation: the contract's parameters, plus whatever the spec's `extraQuery`
 * declares (read as `unknown` until checked).
 */
export type QueryParams<K extends OperationId> = (ParametersOf<K> extends { query?: infer Q }
  ? [NonNullable<Q>] extends [never]
    ? NoFields
    : NonNullable<Q>
  : NoFields) & { readonly [extra: string]: unknown };

/** The validated JSON body; `undefined` when the operation takes none or it is optional and absent. */
export type BodyOf<K extends OperationId> = operations[K] extends {
  requestBody: { content: { 'application/json': infer B } };
}
  ? B
  : operations[K] extends { requestBody?: { content: { 'application/json': infer B } } }
    ? B | undefined
    : undefined;

type SuccessStatus = 200 | 201 | 202;
type SuccessContent<K extends OperationId> = {
  [S in SuccessStatus]: operations[K]['responses'] extends {
    [P in S]: { content: { 'application/json': infer C } };
  }
    ? C
    : never;
}[SuccessStatus];

/** The `data` of an operation's success envelope (the contract's response schema). */
export type ResponseData<K extends OperationId> = SuccessContent<K> extends { data: infer D } ? D : never;

/**
 * What a handler may return: the response's `data` (a `Page` of its items for lists, serialized with
 * the pagination), nothing for operations answering without a body.
 */
export type OperationResult<K extends OperationId> = [ResponseData<K>] extends [never]
  ? unknown
  : ResponseData<K> extends readonly (infer Item)[]
    ? Page<Item> | ResponseData<K>
    : ResponseData<K>;

/** The handler context of one operation: params, query and body typed from the contract. */
export type ContextOf<K extends OperationId> = HandlerContext<PathParams<K>, QueryParams<K>, BodyOf<K>> & {
  operationId: K;
};

/**
 * The audit event of an operation whose record repeats its permission: only the target is written
 * here, the action is the permission's (`audit: { target: (ctx) => \`team:${ctx.params.team_canonical}\` }`).
 */
export interface AuditOfPermission<Ctx, R> {
  target: (ctx: Ctx, result: R) => string;
  details?: (ctx: Ctx, result: R) => Record<string, unknown>;
}

/** One entry of a typed operation table; the same fields as `OperationSpec`, typed by operationId. */
export type TypedOperationSpec<K extends OperationId> = Omit<OperationSpec, 'prepare' | 'handler' | 'audit'> & {
  prepare?: (ctx: ContextOf<K>) => Promise<unknown>;
  handler: (ctx: ContextOf<K>) => Promise<OperationResult<K> | undefined> | OperationResult<K> | undefined;
  audit?:
    | ((ctx: ContextOf<K>, result: OperationResult<K>) => AuditRecord | undefined)
    | AuditOfPermission<ContextOf<K>, OperationResult<K>>;
};

export type TypedOperationTable = { [K in OperationId]?: TypedOperationSpec<K> };

/**
 * A module's operation table, keyed by contract operationIds: an unknown id, a misspelled path
 * parameter or a body field the contract does not have are compile errors. `audit: { target }` takes
 * its action from `permission.action`. The typing is erased for the registrar, which validates the
 * input against the same contract before any handler runs.
 */
export function defineOperations(table: TypedOperationTable): OperationTable {
  const out: Record<string, OperationSpec> = {};
  for (const [operationId, spec] of Object.entries(table) as Array<[OperationId, TypedOperationSpec<OperationId>]>) {
    const { audit } = spec;
    if (audit === undefined || typeof audit === 'function') {
      out[operationId] = spec as unknown as OperationSpec;
      continue;
    }
    const action = spec.permission?.action;
    if (!action) throw new Error(`${operationId}: audit { target } needs a permission with an action`);
    out[operationId] = {
      ...(spec as unknown as OperationSpec),
      audit: (ctx: HandlerContext, result: never) => ({
        action,
        target: audit.target(ctx as ContextOf<OperationId>, result),
        ...(audit.details ? { details: audit.details(ctx as ContextOf<OperationId>, result) } : {}),
      }),
    };
  }
  return out as OperationTable;
}
