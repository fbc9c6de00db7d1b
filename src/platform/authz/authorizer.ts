import { unauthorized } from '../errors.js';
import type { Actor } from '../http/auth.js';
import type { Authorizer } from '../http/operation.js';
import { type Access, accessTo, demand } from './access.js';
import type { AuthCache } from './cache.js';

function accessKey(actor: Actor, organization: string): string {
  return `access:${actor.kind}:${actor.apiKeyId ?? actor.userId}:${actor.organizationId}:${organization}`;
}

/** The permission check the registrar runs for every organization-scoped operation. */
export function createAuthorizer(cache: AuthCache): Authorizer {
  return async (permission, ctx) => {
    if (!ctx.actor) throw unauthorized();
    const organization = String(ctx.params.organization_canonical);
    const key = accessKey(ctx.actor, organization);
    let access = cache.get<Access>(key);
    if (!access) {
      const readAt = cache.snapshot();
      access = await accessTo(ctx.db, ctx.actor, organization);
      cache.set(key, access, readAt, ctx.actor.validUntil);
    }
    ctx.access = access;
    if (permission.action === null) return;
    const owner = permission.owner ? await permission.owner(ctx) : undefined;
    demand(access, permission.action, permission.entities?.(ctx) ?? [], owner);
  };
}
