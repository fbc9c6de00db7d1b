import { sha256 } from '../../platform/crypto/hashing.js';
import type { DbHandle } from '../../platform/db/database.js';
import { acceptInvitation } from '../members/service.js';
import { invitationEmailByTokenHash, membershipEmail } from './repo.js';

/**
 * Accepts an organization invitation for a user (at sign-up or login), in the caller's transaction;
 * the members module records the acceptance event. The invitation was mailed to its address, so an
 * account with that same address has proven it.
 */
export async function joinByInvitation(
  db: DbHandle,
  user: { id: number; email: string },
  token: string,
): Promise<{ organizationId: number; emailProven: boolean }> {
  const before = await invitationEmailByTokenHash(db, sha256(token));
  const { organizationId } = await acceptInvitation(db, { token, userId: user.id, email: user.email });
  const invited = before?.invitation_email ?? (await membershipEmail(db, organizationId, user.id))?.invitation_email;
  return { organizationId, emailProven: invited?.toLowerCase() === user.email.toLowerCase() };
}
