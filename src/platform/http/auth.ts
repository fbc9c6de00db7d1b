import type { FastifyRequest } from 'fastify';
import type { AuthCache } from '../authz/cache.js';
import { sha256 } from '../crypto/hashing.js';
import { unauthorized } from '../errors.js';
import { type PresentedToken, presentedToken } from './tokens.js';

/** Who is calling: a user (session token) or an API key acting for its organization. */
export interface Actor {
  kind: 'user' | 'api_key';
  /** Read-only tokens may only use GET and HEAD. */
  readonly: boolean;
  /** The user, or the API key's owner (may be null once the owner is deleted). */
  userId: number | null;
  username: string | null;
  apiKeyId: number | null;
  /** For API keys: the key's organization. For sessions opened into an organization: that one. */
  organizationId: number | null;
  /** Sessions: when the user logged in (Unix seconds), carried through refreshes. */
  authTime?: number;
  /** Sessions: the session's id (the `sid` claim), what a logout revokes. */
  sessionId?: string;
  /** When the credential stops being valid (ms since the epoch), e.g. a session token's expiry. */
  validUntil?: number;
}

/** Turns a presented token into an actor, or undefined when this resolver does not know the token. */
export type TokenResolver = (token: PresentedToken, request: FastifyRequest) => Promise<Actor | undefined>;

export class Authenticator {
  private readonly resolvers: TokenResolver[] = [];

  constructor(private readonly cache?: AuthCache) {}

  use(resolver: TokenResolver): void {
    this.resolvers.push(resolver);
  }

  /** The actor of a request; throws 401 when a token is missing or no resolver accepts it. */
  async authenticate(request: FastifyRequest): Promise<Actor> {
    const token = presentedToken(request);
    if (!token) throw unauthorized('authentication required: send a token as "Authorization: Bearer <token>"');
    // Only accepted credentials are remembered (a new token works at once, a bad one is re-checked),
    // until their expiry at the latest; every write clears the cache, so a revoked one fails next time.
    const key = this.cache ? `token:${sha256(token.token)}` : '';
    const cached = this.cache?.get<Actor>(key);
    if (cached) return cached;
    const readAt = this.cache?.snapshot() ?? 0;
    for (const resolve of this.resolvers) {
      const actor = await resolve(token, request);
      if (actor) {
        if (actor.validUntil !== undefined) this.cache?.set(key, actor, readAt, actor.validUntil);
        return actor;
      }
    }
    throw unauthorized('the token is invalid, expired or revoked');
  }
}
