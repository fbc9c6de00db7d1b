import { defineOperations } from '../../platform/http/operation.js';
import { ownedPathEntity } from '../../platform/http/path-entity.js';
import type { Module } from '../../platform/module.js';
import type { ModuleDeps } from '../deps.js';
import { findTeam } from './repo.js';
import { createTeam, deleteTeam, listTeams, readTeam, TEAM_SORTABLE, teamNotFound, updateTeam } from './service.js';
import { assignTeamMember, getTeamMember, listTeamMembers, unassignTeamMember } from './team-members.js';

const team = ownedPathEntity({ param: 'team_canonical', find: findTeam, notFound: teamNotFound });
const requireTeam = team.require;
const onTeam = (action: string) => team.permission(action);
const onTeamMember = (action: string) => team.permission(action, (ctx) => [String(ctx.params.member_id)]);
const teamTarget = (canonical: string) => `team:${canonical}`;
const teamMemberTarget = (team: string, memberId: number) => `team:${team}:member:${memberId}`;

/** Teams and their members (rbac.md §2). A team's roles add to every member's rules. */
export function teamsModule(_deps: ModuleDeps): Module {
  const operations = defineOperations({
    getTeams: {
      // Any standing in the organization; the list holds only the teams the caller may read.
      permission: { action: null },
      sortable: TEAM_SORTABLE,
      handler: (ctx) => listTeams(ctx.db, ctx.access!, ctx.query, ctx.paging, ctx.orderBy, ctx.accessCache),
    },
    createTeam: {
      permission: { action: 'organization:team:create' },
      audit: { target: (_ctx, team) => teamTarget(team.canonical) },
      handler: (ctx) => createTeam(ctx.db, ctx.access!, ctx.body),
    },
    getTeam: {
      permission: onTeam('organization:team:read'),
      handler: async (ctx) => readTeam(ctx.db, ctx.access!.organization.id, await requireTeam(ctx), ctx.accessCache),
    },
    updateTeam: {
      permission: onTeam('organization:team:update'),
      audit: { target: (_ctx, team) => teamTarget(team.canonical) },
      handler: async (ctx) => updateTeam(ctx.db, ctx.access!, await requireTeam(ctx), ctx.body),
    },
    deleteTeam: {
      permission: onTeam('organization:team:delete'),
      audit: { target: (ctx) => teamTarget(ctx.params.team_canonical) },
      handler: async (ctx) => {
        await deleteTeam(ctx.db, await requireTeam(ctx));
      },
    },
    getTeamMembers: {
      permission: onTeam('organization:team:member:read'),
      handler: async (ctx) => listTeamMembers(ctx.db, ctx.access!.organization.id, await requireTeam(ctx), ctx.paging),
    },
    assignMemberToTeam: {
      permission: onTeam('organization:team:member:create'),
      audit: { target: (ctx, member) => teamMemberTarget(ctx.params.team_canonical, member.id) },
      handler: async (ctx) => assignTeamMember(ctx.db, ctx.access!, await requireTeam(ctx), ctx.body.username),
    },
    getTeamMember: {
      permission: onTeamMember('organization:team:member:read'),
      handler: async (ctx) =>
        getTeamMember(ctx.db, ctx.access!.organization.id, await requireTeam(ctx), ctx.params.member_id),
    },
    unassignMemberFromTeam: {
      permission: onTeamMember('organization:team:member:delete'),
      audit: { target: (ctx) => teamMemberTarget(ctx.params.team_canonical, ctx.params.member_id) },
      handler: async (ctx) => {
        await unassignTeamMember(ctx.db, ctx.access!, await requireTeam(ctx), ctx.params.member_id);
      },
    },
  });
  return {
    name: 'teams',
    operations,
    accessWrites: ['updateTeam', 'deleteTeam', 'assignMemberToTeam', 'unassignMemberFromTeam'],
    ownedKinds: [{ kind: 'team', table: 'teams' }],
  };
}
