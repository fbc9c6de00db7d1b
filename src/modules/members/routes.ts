import { defineOperations, type HandlerContext, type Module } from '../../platform/http/operation.js';
import { RATE_LIMITS, RateLimiter } from '../../platform/http/rate-limit.js';
import type { ModuleDeps } from '../deps.js';
import { type InvitationContext, inviteMember, pendingInvitation, resendInvitation } from './invitations.js';
import { changeMemberRole, getMember, listMembers, MEMBER_SORTABLE, removeMember } from './service.js';

const memberEntity = (ctx: HandlerContext) => [String(ctx.params.member_id)];
const memberTarget = (ctx: HandlerContext) => `member:${ctx.params.member_id}`;

/** Organization members and invitations (rbac.md §2 and §7). */
export function membersModule(deps: ModuleDeps): Module {
  const { mailer, config } = deps;
  const invitations = (ctx: HandlerContext): InvitationContext => ({
    access: ctx.access!,
    // Invitation mails go to addresses the inviter chooses: an organization cannot mail-bomb from here.
    throttle: (db) =>
      new RateLimiter(db).consume(`invite:org:${ctx.access!.organization.id}`, RATE_LIMITS.invitationsPerOrganization),
    // After the commit: a slow or black-holed SMTP server holds no transaction or write lock.
    send: async (mail) => ctx.afterCommit(() => mailer.send(mail)),
    publicUrl: config.publicUrl,
  });

  const operations = defineOperations({
    getOrgMembers: {
      permission: { action: 'organization:member:list' },
      sortable: MEMBER_SORTABLE,
      handler: (ctx) => listMembers(ctx.db, ctx.access!.organization.id, ctx.query, ctx.paging, ctx.orderBy),
    },
    inviteUserToOrgMember: {
      permission: { action: 'organization:member:create' },
      audit: { target: (_ctx, member) => `member:${member.id}` },
      handler: (ctx) =>
        inviteMember(ctx.db, invitations(ctx), { email: ctx.body.email, roleCanonical: ctx.body.role_canonical }),
    },
    getOrgMember: {
      permission: { action: 'organization:member:read', entities: memberEntity },
      handler: (ctx) => getMember(ctx.db, ctx.access!.organization.id, ctx.params.member_id),
    },
    updateOrgMember: {
      permission: { action: 'organization:member:update', entities: memberEntity },
      audit: { target: memberTarget },
      handler: (ctx) => changeMemberRole(ctx.db, ctx.access!, ctx.params.member_id, ctx.body.role_canonical),
    },
    removeOrgMember: {
      permission: { action: 'organization:member:delete', entities: memberEntity },
      audit: { target: memberTarget },
      handler: async (ctx) => {
        await removeMember(ctx.db, ctx.access!, ctx.params.member_id);
      },
    },
    // Public in the contract (`security: []`), but re-sending an invitation is an administrator's act:
    // the permission check answers 401 without a token and 403 without the right.
    resendMemberInvitation: {
      permission: { action: 'organization:member:create' },
      audit: (ctx) => ({ action: 'organization:member:resend', target: memberTarget(ctx) }),
      handler: async (ctx) => {
        await resendInvitation(ctx.db, invitations(ctx), ctx.params.member_id);
      },
    },
    getPendingMemberInvitation: {
      handler: (ctx) => pendingInvitation(ctx.db, ctx.params.verification_token),
    },
  });
  return { name: 'members', operations, accessWrites: 'all' };
}
