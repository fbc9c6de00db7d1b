import formBody from '@fastify/formbody';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Request body parsing. JSON (and any `+json` type: Cycloid clients send their vendor type) and
 * forms are accepted everywhere; binary types only where an operation declares them (`bodyTypes`),
 * the registrar refusing them elsewhere. Every body is read as bytes first, so an operation declared
 * `rawBody: true` gets exactly what was sent, at no cost to the others.
 */

const JSON_LIKE = /^application\/[\w.+-]*\+json$/;

/** Route config the registrar sets and the parsers read (Fastify's per-route `config`). */
export interface RouteConfig {
  operationId: string;
  rawBody?: boolean;
}

const rawBodies = new WeakMap<FastifyRequest, Buffer>();

/** The bytes of the request's body, when its operation asked to keep them. */
export function rawBodyOf(request: FastifyRequest): Buffer | undefined {
  return rawBodies.get(request);
}

function keepIfAsked(request: FastifyRequest, body: Buffer): void {
  if ((request.routeOptions.config as Partial<RouteConfig> | undefined)?.rawBody) rawBodies.set(request, body);
}

export async function installBodyParsers(app: FastifyInstance, bodyLimit: number): Promise<void> {
  app.removeContentTypeParser('text/plain');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  // Many clients send a JSON content type on bodiless calls (DELETE, GET): an empty body is no body,
  // and the operation then decides whether it needed one.
  const parse: Parameters<typeof app.addContentTypeParser<Buffer>>[2] = (request, body, done) => {
    keepIfAsked(request, body);
    const text = body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    return parseJson(request, text, done);
  };
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parse);
  app.addContentTypeParser(JSON_LIKE, { parseAs: 'buffer' }, parse);
  await app.register(formBody, { bodyLimit });
}

/** Accepts a binary content type (once per type); the body arrives as a Buffer. */
export function acceptBinaryBodies(app: FastifyInstance, contentType: string): void {
  if (app.hasContentTypeParser(contentType)) return;
  app.addContentTypeParser(contentType, { parseAs: 'buffer' }, (request, body, done) => {
    keepIfAsked(request, body as Buffer);
    done(null, body);
  });
}
