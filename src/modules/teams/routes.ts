import type { HandlerContext, OperationSpec, RequestBody } from '../../platform/http/operation.js';
import { ownedPathEntity } from '../../platform/http/path-entity.js';
import type { Module } from '../../platform/module.js';
import type { ModuleDeps } from '../deps.js';
import { findTeam } from './repo.js';
import {
  createTeam,
  deleteTeam,
  listTeams,
  readTeam,
  TEAM_SORTABLE,
  type TeamFilters,
  teamNotFound,
  updateTeam,
} from './service.js';
import { assignTeamMember, getTeamMember, listTeamMembers, unassignTeamMember } from './team-members.js';

type TeamParams = { organization_canonical: string; team_canonical: string; member_id: number };
type Ctx<B = unknown> = HandlerContext<TeamParams, TeamFilters, B>;

const team = ownedPathEntity({ param: 'team_canonical', find: findTeam, notFound: teamNotFound });
const requireTeam = team.require;
const onTeam = (action: string) => team.permission(action);
const onTeamMember = (action: string) => team.permission(action, (ctx) => [String(ctx.params.member_id)]);
const teamTarget = (canonical: string) => `team:${canonical}`;
const teamMemberTarget = (ctx: HandlerContext, memberId: unknown) =>
  `team:${ctx.params.team_canonical}:member:${memberId}`;

/** Teams and their members (rbac.md §2). A team's roles add to every member's rules. */
export function teamsModule(_deps: ModuleDeps): Module {
  const operations: Record<string, OperationSpec<any>> = {
    getTeams: {
      // Any standing in the organization; the list holds only the teams the caller may read.
      permission: { action: null },
      sortable: TEAM_SORTABLE,
      handler: (ctx: Ctx) => listTeams(ctx.db, ctx.access!, ctx.query, ctx.paging, ctx.orderBy),
    },
    createTeam: {
      permission: { action: 'organization:team:create' },
      audit: (_ctx, result: any) => ({ action: 'organization:team:create', target: teamTarget(result.canonical) }),
      handler: (ctx: Ctx<RequestBody<'createTeam'>>) => createTeam(ctx.db, ctx.access!, ctx.body),
    },
    getTeam: {
      permission: onTeam('organization:team:read'),
      handler: async (ctx: Ctx) => readTeam(ctx.db, ctx.access!.organization.id, await requireTeam(ctx)),
    },
    updateTeam: {
      permission: onTeam('organization:team:update'),
      audit: (_ctx, result: any) => ({ action: 'organization:team:update', target: teamTarget(result.canonical) }),
      handler: async (ctx: Ctx<RequestBody<'updateTeam'>>) =>
        updateTeam(ctx.db, ctx.access!, await requireTeam(ctx), ctx.body),
    },
    deleteTeam: {
      permission: onTeam('organization:team:delete'),
      audit: (ctx) => ({ action: 'organization:team:delete', target: teamTarget(ctx.params.team_canonical) }),
      handler: async (ctx: Ctx) => {
        await deleteTeam(ctx.db, await requireTeam(ctx));
      },
    },
    getTeamMembers: {
      permission: onTeam('organization:team:member:read'),
      handler: async (ctx: Ctx) =>
        listTeamMembers(ctx.db, ctx.access!.organization.id, await requireTeam(ctx), ctx.paging),
    },
    assignMemberToTeam: {
      permission: onTeam('organization:team:member:create'),
      audit: (ctx, result: any) => ({
        action: 'organization:team:member:create',
        target: teamMemberTarget(ctx, result.id),
      }),
      handler: async (ctx: Ctx<RequestBody<'assignMemberToTeam'>>) =>
        assignTeamMember(ctx.db, ctx.access!, await requireTeam(ctx), ctx.body.username),
    },
    getTeamMember: {
      permission: onTeamMember('organization:team:member:read'),
      handler: async (ctx: Ctx) =>
        getTeamMember(ctx.db, ctx.access!.organization.id, await requireTeam(ctx), ctx.params.member_id),
    },
    unassignMemberFromTeam: {
      permission: onTeamMember('organization:team:member:delete'),
      audit: (ctx) => ({
        action: 'organization:team:member:delete',
        target: teamMemberTarget(ctx, ctx.params.member_id),
      }),
      handler: async (ctx: Ctx) => {
        await unassignTeamMember(ctx.db, ctx.access!, await requireTeam(ctx), ctx.params.member_id);
      },
    },
  };
  return {
    name: 'teams',
    operations,
    accessWrites: ['updateTeam', 'deleteTeam', 'assignMemberToTeam', 'unassignMemberFromTeam'],
    ownedKinds: [{ kind: 'team', table: 'teams' }],
  };
}
