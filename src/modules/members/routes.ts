import type { HandlerContext, Module, OperationSpec, RequestBody } from '../../platform/http/operation.js';
import { RATE_LIMITS, RateLimiter } from '../../platform/http/rate-limit.js';
import type { ModuleDeps } from '../deps.js';
import { type InvitationContext, inviteMember, pendingInvitation, resendInvitation } from './invitations.js';
import {
  changeMemberRole,
  getMember,
  listMembers,
  MEMBER_SORTABLE,
  type MemberFilters,
  removeMember,
} from './service.js';

type MemberParams = { organization_canonical: string; member_id: number };

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

  const operations: Record<string, OperationSpec<any>> = {
    getOrgMembers: {
      permission: { action: 'organization:member:list' },
      sortable: MEMBER_SORTABLE,
      handler: (ctx: HandlerContext<MemberParams, MemberFilters>) =>
        listMembers(ctx.db, ctx.access!.organization.id, ctx.query, ctx.paging, ctx.orderBy),
    },
    inviteUserToOrgMember: {
      permission: { action: 'organization:member:create' },
      audit: (_ctx, result: any) => ({ action: 'organization:member:create', target: `member:${result.id}` }),
      handler: (ctx: HandlerContext<MemberParams, object, RequestBody<'inviteUserToOrgMember'>>) =>
        inviteMember(ctx.db, invitations(ctx), { email: ctx.body.email, roleCanonical: ctx.body.role_canonical }),
    },
    getOrgMember: {
      permission: { action: 'organization:member:read', entities: memberEntity },
      handler: (ctx: HandlerContext<MemberParams>) =>
        getMember(ctx.db, ctx.access!.organization.id, ctx.params.member_id),
    },
    updateOrgMember: {
      permission: { action: 'organization:member:update', entities: memberEntity },
      audit: (ctx) => ({ action: 'organization:member:update', target: memberTarget(ctx) }),
      handler: (ctx: HandlerContext<MemberParams, object, RequestBody<'updateOrgMember'>>) =>
        changeMemberRole(ctx.db, ctx.access!, ctx.params.member_id, ctx.body.role_canonical),
    },
    removeOrgMember: {
      permission: { action: 'organization:member:delete', entities: memberEntity },
      audit: (ctx) => ({ action: 'organization:member:delete', target: memberTarget(ctx) }),
      handler: async (ctx: HandlerContext<MemberParams>) => {
        await removeMember(ctx.db, ctx.access!, ctx.params.member_id);
      },
    },
    // Public in the contract (`security: []`), but re-sending an invitation is an administrator's act:
    // the permission check answers 401 without a token and 403 without the right.
    resendMemberInvitation: {
      permission: { action: 'organization:member:create' },
      audit: (ctx) => ({ action: 'organization:member:resend', target: memberTarget(ctx) }),
      handler: async (ctx: HandlerContext<MemberParams>) => {
        await resendInvitation(ctx.db, invitations(ctx), ctx.params.member_id);
      },
    },
    getPendingMemberInvitation: {
      handler: (ctx: HandlerContext<{ verification_token: string }>) =>
        pendingInvitation(ctx.db, ctx.params.verification_token),
    },
  };
  return { name: 'members', operations, accessWrites: 'all' };
}
