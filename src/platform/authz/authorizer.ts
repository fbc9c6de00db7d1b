import { unauthorized } from '../errors.js';
import type { Authorizer } from '../http/operation.js';
import { accessTo, demand } from './access.js';

/** The permission check the registrar runs for every organization-scoped operation. */
export const authorize: Authorizer = async (permission, ctx) => {
  if (!ctx.actor) throw unauthorized();
  const access = await accessTo(ctx.db, ctx.actor, String(ctx.params.organization_canonical));
  ctx.access = access;
  if (permission.action === null) return;
  const owner = permission.owner ? await permission.owner(ctx) : undefined;
  demand(access, permission.action, permission.entities?.(ctx) ?? [], owner);
};
