import type { DbHandle } from '../db/database.js';
import { type HandlerContext, oncePerRequest, type PermissionSpec } from './operation.js';

/**
 * An owned entity named by a path parameter (a team, a credential): read once per request, because
 * its owner decides the permission check and the handler needs the rest of the row.
 */
export function ownedPathEntity<Row extends { owner_user_id: number | null }>(options: {
  param: string;
  find: (db: DbHandle, organizationId: number, canonical: string) => Promise<Row | undefined>;
  notFound: (canonical: string) => Error;
}) {
  const canonicalOf = (ctx: HandlerContext) => String(ctx.params[options.param]);
  const of = oncePerRequest((ctx) => options.find(ctx.db, ctx.access!.organization.id, canonicalOf(ctx)));
  return {
    of,
    async require(ctx: HandlerContext): Promise<Row> {
      const row = await of(ctx);
      if (!row) throw options.notFound(canonicalOf(ctx));
      return row;
    },
    /** `action` on the entity (and on sub-entities named by `more`), its owner passed along. */
    permission(action: string, more: (ctx: HandlerContext) => string[] = () => []): PermissionSpec {
      return {
        action,
        entities: (ctx) => [canonicalOf(ctx), ...more(ctx)],
        owner: async (ctx) => (await of(ctx))?.owner_user_id,
      };
    },
  };
}
