import type { Access } from '../../platform/authz/access.js';
import { findRolesByCanonical, type RoleWithRules } from '../../platform/authz/role-rows.js';
import { randomToken, sha256 } from '../../platform/crypto/hashing.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { conflict, notFound } from '../../platform/errors.js';
import { demandWithinLimit, orgScope } from '../../platform/limits.js';
import type { Mail } from '../../platform/mail/mailer.js';
import type { MemberOrgView } from './present.js';
import { findMembershipByEmail, findMembershipRow } from './repo.js';
import { demandRoleGrantable, getMember, roleInBody } from './service.js';

/** Invitations are valid for a week; after that only a resend (which issues a new token) helps. */
export const INVITATION_TTL_SECONDS = 7 * 24 * 3600;

export interface InvitationContext {
  access: Access;
  /** Sends one mail (the platform mailer). */
  send: (mail: Mail) => Promise<unknown>;
  /** Counts one invitation mail against the organization's budget, in `db` (the operation's transaction); 429 past it. */
  throttle: (db: DbHandle) => Promise<void>;
  /** Public base URL of the server for the links in the mail, when configured. */
  publicUrl: string | undefined;
}

export async function inviteMember(
  db: DbHandle,
  ctx: InvitationContext,
  input: { email: string; roleCanonical: string },
): Promise<MemberOrgView> {
  const { access } = ctx;
  const org = access.organization;
  const email = input.email.trim().toLowerCase();
  const role = await roleInBody(db, access, input.roleCanonical);
  demandRoleGrantable(access, role);

  const existing = await findMembershipByEmail(db, org.id, email);
  if (existing?.user_id != null) {
    throw conflict(`email: '${email}' is already a member of organization '${org.canonical}' (member ${existing.id})`);
  }
  if (existing?.invitation_state === 'pending') {
    throw conflict(
      `email: '${email}' already has a pending invitation (member ${existing.id}); resend it with PUT /organizations/${org.canonical}/members/${existing.id}/resend`,
    );
  }
  await demandWithinLimit(db, ['membersPerOrg', 'pendingInvitationsPerOrg'], orgScope(access));
  // A declined invitation is finished: inviting the address again starts a new one.
  if (existing) await db.deleteFrom('memberships').where('id', '=', existing.id).execute();

  const token = randomToken();
  const now = nowSeconds();
  const inviterId = access.actor.userId;
  const row = await db
    .insertInto('memberships')
    .values({
      organization_id: org.id,
      user_id: null,
      role_id: role.role.id,
      invitation_email: email,
      invitation_state: 'pending',
      invitation_token_hash: sha256(token),
      invitation_expires_at: now + INVITATION_TTL_SECONDS,
      invited_by: inviterId,
      invited_at: now,
      invitation_resent_at: null,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await ctx.throttle(db);
  await ctx.send(invitationMail(ctx, { email, token, role, expiresAt: now + INVITATION_TTL_SECONDS }));
  return getMember(db, org.id, row.id);
}

/** Mails a pending invitation again with a new token; the previous token stops working. */
export async function resendInvitation(db: DbHandle, ctx: InvitationContext, memberId: number): Promise<void> {
  const { access } = ctx;
  const member = await findMembershipRow(db, access.organization.id, memberId);
  if (!member) throw notFound(`member ${memberId}`);
  if (member.user_id !== null || member.invitation_state !== 'pending' || !member.invitation_email) {
    throw conflict(`member ${memberId} is not a pending invitation: only pending invitations can be resent`);
  }
  const [role] = await findRolesByCanonical(db, access.organization.id, [member.role_canonical]);
  demandRoleGrantable(access, role);
  const token = randomToken();
  const now = nowSeconds();
  await db
    .updateTable('memberships')
    .set({
      invitation_token_hash: sha256(token),
      invitation_expires_at: now + INVITATION_TTL_SECONDS,
      invitation_resent_at: now,
      updated_at: now,
    })
    .where('id', '=', member.id)
    .execute();
  await ctx.throttle(db);
  await ctx.send(
    invitationMail(ctx, { email: member.invitation_email, token, role, expiresAt: now + INVITATION_TTL_SECONDS }),
  );
}

/** The invited address of a pending, unexpired invitation (for the sign-up page); 404 otherwise. */
export async function pendingInvitation(db: DbHandle, token: string): Promise<{ email: string }> {
  const row = await db
    .selectFrom('memberships')
    .select('invitation_email')
    .where('invitation_token_hash', '=', sha256(token))
    .where('invitation_state', '=', 'pending')
    .where('user_id', 'is', null)
    .where('invitation_expires_at', '>', nowSeconds())
    .executeTakeFirst();
  if (!row?.invitation_email) throw notFound('pending invitation');
  return { email: row.invitation_email };
}

function invitationMail(
  ctx: InvitationContext,
  invitation: { email: string; token: string; role: RoleWithRules; expiresAt: number },
): Mail {
  const org = ctx.access.organization;
  const base = (ctx.publicUrl ?? '').replace(/\/+$/, '');
  const inviter = ctx.access.actor.username ?? 'an administrator';
  const token = invitation.token;
  return {
    to: invitation.email,
    subject: `You are invited to join ${org.name} on Gantry`,
    text: [
      `Hello,`,
      '',
      `${inviter} invited you to join the organization "${org.name}" (${org.canonical}) on Gantry`,
      `with the role "${invitation.role.role.name}".`,
      '',
      `Your invitation token: ${token}`,
      `It is valid until ${new Date(invitation.expiresAt * 1000).toISOString()}.`,
      '',
      'To accept it:',
      `- if you have no account yet, sign up with the token: POST ${base}/user with "invitation_token": "${token}"`,
      '  in the body (the email address must be this one);',
      `- if you already have an account with this email address, log in with the token:`,
      `  POST ${base}/user/login?invitation_token=${token}`,
      '',
      `You can check the invitation at GET ${base}/members/verify/${token}`,
      'If you did not expect this invitation, ignore this mail.',
    ].join('\n'),
  };
}
