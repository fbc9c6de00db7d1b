import type { FastifyReply } from 'fastify';
import { AppError } from '../errors.js';
import type { ContractOperation } from './contract.js';
import type { OperationSpec, RawResponse, Redirect, RespondKind } from './operation.js';

/**
 * Answers that are not the `{data}` envelope, declared on the operation (`respond: 'raw' |
 * 'redirect'`), so the wire format is visible in the operation table and checked at boot rather than
 * written ad hoc with `ctx.reply` in a handler. A handler returning the wrong shape is a server bug (500).
 */

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Boot-time checks of an operation's response declarations. */
export function checkResponseDeclarations(module: string, op: ContractOperation, spec: OperationSpec): void {
  const fail = (why: string) => {
    throw new Error(`module ${module}: '${op.operationId}' ${why}`);
  };
  if (spec.stream && spec.respond !== 'stream') fail("declares stream options without respond: 'stream'");
  if (spec.respond === 'stream') {
    if (op.method !== 'GET') fail('streams, so it must be a GET');
    // A transaction held for the life of a stream would hold SQLite's only writer, or a pool connection.
    if (spec.tx || spec.audit) fail('streams: it can hold no transaction and write no audit event');
  }
}

function redirectStatusOf(op: ContractOperation): number | undefined {
  return [...op.responses.keys()].map(Number).find((status) => REDIRECTS.has(status));
}

export function sendDeclared(reply: FastifyReply, op: ContractOperation, kind: RespondKind, result: unknown) {
  if (kind === 'raw') {
    const raw = result as RawResponse | undefined;
    if (!raw || (typeof raw.body !== 'string' && !Buffer.isBuffer(raw.body))) {
      throw new AppError('InternalError', `${op.operationId}: a raw response needs a body`);
    }
    const status = raw.status ?? op.successStatus;
    if (!op.responses.has(String(status))) {
      throw new AppError('InternalError', `${op.operationId}: status ${status} is not a declared response`);
    }
    for (const [name, value] of Object.entries(raw.headers ?? {})) reply.header(name, value);
    const contentType = raw.contentType ?? op.responses.get(String(status))?.contentType ?? 'application/octet-stream';
    return reply.code(status).type(contentType).send(raw.body);
  }
  if (kind === 'redirect') {
    const redirect = result as Redirect | undefined;
    if (!redirect || typeof redirect.location !== 'string' || redirect.location === '') {
      throw new AppError('InternalError', `${op.operationId}: a redirect needs a location`);
    }
    const status = redirect.status ?? redirectStatusOf(op) ?? 302;
    return reply.code(status).header('location', redirect.location).send();
  }
  throw new AppError('InternalError', `${op.operationId}: '${kind}' is not answered here`);
}
