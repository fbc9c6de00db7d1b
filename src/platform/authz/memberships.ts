import type { ExpressionBuilder } from 'kysely';
import type { DbHandle } from '../db/database.js';
import type { Database } from '../db/schema.js';

/** A membership that grants standing: accepted, or created directly (no invitation). */
export const accepted = (eb: ExpressionBuilder<Database, 'memberships'>) =>
  eb.or([eb('memberships.invitation_state', 'is', null), eb('memberships.invitation_state', '=', 'accepted')]);

/**
 * An accepted member by username, of the organization or of any of a list of them (an API key's owner
 * may be a member of an ancestor). Owners and team members must be one.
 */
export function findAcceptedMemberByUsername(db: DbHandle, organizations: number | number[], username: string) {
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['memberships.id as member_id', 'users.id as user_id'])
    .where('memberships.organization_id', 'in', typeof organizations === 'number' ? [organizations] : organizations)
    .where('users.username', '=', username)
    .where(accepted)
    .executeTakeFirst();
}
