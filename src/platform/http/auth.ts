import type { FastifyRequest } from 'fastify';
import { unauthorized } from '../errors.js';
import { type PresentedToken, presentedToken } from './tokens.js';

/**
 * Who is calling. The identity module fills in the details by declaration merging; the platform only
 * needs to know that a request has (or lacks) an actor.
 */
export interface Actor {
  kind: string;
  /** Read-only tokens may only use GET and HEAD. */
  readonly: boolean;
}

/** Turns a presented token into an actor, or undefined when this resolver does not know the token. */
export type TokenResolver = (token: PresentedToken, request: FastifyRequest) => Promise<Actor | undefined>;

export class Authenticator {
  private readonly resolvers: TokenResolver[] = [];

  use(resolver: TokenResolver): void {
    this.resolvers.push(resolver);
  }

  /** The actor of a request; throws 401 when a token is missing or no resolver accepts it. */
  async authenticate(request: FastifyRequest): Promise<Actor> {
    const token = presentedToken(request);
    if (!token) throw unauthorized('authentication required: send a token as "Authorization: Bearer <token>"');
    for (const resolve of this.resolvers) {
      const actor = await resolve(token, request);
      if (actor) return actor;
    }
    throw unauthorized('the token is invalid, expired or revoked');
  }

  /** Like authenticate, but a request without any token is anonymous rather than an error. */
  async optional(request: FastifyRequest): Promise<Actor | undefined> {
    return presentedToken(request) ? this.authenticate(request) : undefined;
  }
}
