import type { Access } from '../authz/access.js';
import { findAcceptedMemberByUsername } from '../authz/memberships.js';
import { rulesCover } from '../authz/rules.js';
import type { DbHandle } from '../db/database.js';
import { forbidden, unprocessable } from '../errors.js';

/** An organization admin, in rule terms: every action on every entity of the organization. */
export function isOrganizationAdmin(access: Access): boolean {
  return rulesCover(access.rules, { action: 'organization:**', resources: [] });
}

/** `owner` of a request body: a username of an accepted member of the organization; '' means no owner. */
export async function ownerInBody(db: DbHandle, access: Access, username: string): Promise<number | null> {
  if (username === '') return null;
  const member = await findAcceptedMemberByUsername(db, access.organization.id, username);
  if (!member) {
    throw unprocessable(`owner: '${username}' is not a member of organization '${access.organization.canonical}'`);
  }
  return member.user_id;
}

/**
 * The owner after an update: unchanged when the body names none; otherwise only the current owner or an
 * organization admin may hand the entity to someone else (`what` names it in the refusal).
 */
export async function ownerAfterUpdate(
  db: DbHandle,
  access: Access,
  currentOwnerId: number | null,
  requested: string | undefined,
  what: string,
): Promise<number | null> {
  if (requested === undefined) return currentOwnerId;
  const ownerId = await ownerInBody(db, access, requested);
  const isOwner = access.actor.kind === 'user' && access.actor.userId === currentOwnerId;
  if (ownerId !== currentOwnerId && !isOwner && !isOrganizationAdmin(access)) {
    throw forbidden(`owner: only the owner or an organization admin may change the owner of ${what}`);
  }
  return ownerId;
}
