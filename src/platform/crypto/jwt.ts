import { createHmac, randomUUID } from 'node:crypto';
import { safeEqual } from './hashing.js';

/** Claims of a Gantry session token. */
export interface SessionClaims {
  iss: string;
  aud: string;
  sub: string;
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
  /** The session: the jti of its login's first token, carried by refreshes (a logout revokes it). */
  sid?: string;
  /** The user's token_version when issued; a bump invalidates the token. */
  ver: number;
  /** Organization the session was opened into, if any. */
  org?: string;
  /** When the user logged in (Unix seconds), kept by refreshes: sessions end GANTRY_SESSION_MAX_AGE after it. */
  auth_time?: number;
  cycloid?: Record<string, unknown>;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
export const ISSUER = 'gantry';
export const AUDIENCE = 'customer';

/** HS256 JSON Web Tokens with one server key. */
export class JwtSigner {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error('the token signing key must be at least 32 bytes');
  }

  sign(claims: Omit<SessionClaims, 'iss' | 'aud' | 'iat' | 'nbf' | 'exp' | 'jti'>, ttlSeconds: number): string {
    const now = Math.floor(Date.now() / 1000);
    const payload: SessionClaims = {
      iss: ISSUER,
      aud: AUDIENCE,
      iat: now,
      nbf: now,
      exp: now + ttlSeconds,
      jti: randomUUID(),
      ...claims,
    };
    const body = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${body}.${this.mac(body)}`;
  }

  /**
   * A token for machines rather than people (another audience, so never accepted as a session).
   * Deterministic for the same input, so an entity's token stays the same between reads.
   */
  signMachineToken(input: {
    audience: string;
    subject: string;
    issuedAt: number;
    ttlSeconds: number;
    claims: Record<string, unknown>;
  }): string {
    const payload = {
      iss: ISSUER,
      aud: input.audience,
      sub: input.subject,
      iat: input.issuedAt,
      nbf: input.issuedAt,
      exp: input.issuedAt + input.ttlSeconds,
      jti: input.subject,
      ...input.claims,
    };
    const body = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${body}.${this.mac(body)}`;
  }

  /** The claims of a valid, unexpired session token of ours; undefined for anything else. */
  verify(token: string): SessionClaims | undefined {
    return this.verifyFor(token, AUDIENCE) as SessionClaims | undefined;
  }

  /**
   * The claims of a valid, unexpired machine token of ours for `audience`; undefined for anything
   * else. Whether the entity it names still accepts it is for its module to say.
   */
  verifyMachineToken(token: string, audience: string): Record<string, unknown> | undefined {
    if (audience === AUDIENCE) return undefined;
    return this.verifyFor(token, audience);
  }

  private verifyFor(token: string, audience: string): Record<string, unknown> | undefined {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== HEADER) return undefined;
    if (!safeEqual(this.mac(`${parts[0]}.${parts[1]}`), parts[2])) return undefined;
    let claims: Record<string, unknown>;
    try {
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    if (claims === null || typeof claims !== 'object') return undefined;
    const now = Math.floor(Date.now() / 1000);
    if (claims.iss !== ISSUER || claims.aud !== audience) return undefined;
    const nbf = typeof claims.nbf === 'number' ? claims.nbf : 0;
    if (typeof claims.exp !== 'number' || claims.exp <= now || nbf > now + 5) return undefined;
    return claims;
  }

  private mac(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }
}

export function looksLikeJwt(token: string): boolean {
  return token.startsWith(`${HEADER}.`);
}
