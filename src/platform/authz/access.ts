import { sql } from 'kysely';
import type { DbHandle } from '../db/database.js';
import { forbidden, notFound } from '../errors.js';
import type { Actor } from '../http/auth.js';
import { type RuleSpec, resourcePath, rulesAllow } from './rules.js';

export interface OrgRef {
  id: number;
  canonical: string;
  name: string;
  parentId: number | null;
}

/** What the caller may do inside one organization; built once per request. */
export interface Access {
  actor: Actor;
  organization: OrgRef;
  /** The organization then its ancestors, nearest first. */
  chain: OrgRef[];
  rules: RuleSpec[];
  /** Same evaluation as enforcement: rules, then ownership of the one entity. */
  can(action: string, entities?: readonly string[], ownerUserId?: number | null): boolean;
}

/** The organization and its ancestors (nearest first), in one recursive query; undefined if unknown. */
export async function organizationChain(db: DbHandle, canonical: string): Promise<OrgRef[] | undefined> {
  const { rows } = await sql<{ id: number; canonical: string; name: string; parent_id: number | null; depth: number }>`
    with recursive chain(id, canonical, name, parent_id, depth) as (
      select id, canonical, name, parent_id, 0 from organizations where canonical = ${canonical}
      union all
      select o.id, o.canonical, o.name, o.parent_id, chain.depth + 1
      from organizations o join chain on o.id = chain.parent_id
      where chain.depth < 64
    )
    select id, canonical, name, parent_id, depth from chain order by depth`.execute(db);
  if (rows.length === 0) return undefined;
  return rows.map((r) => ({
    id: Number(r.id),
    canonical: r.canonical,
    name: r.name,
    parentId: r.parent_id === null ? null : Number(r.parent_id),
  }));
}

function parseRules(rows: Array<{ action: string; resources: string }>): RuleSpec[] {
  return rows.map((r) => ({ action: r.action, resources: JSON.parse(r.resources) as string[] }));
}

/**
 * The rules an actor holds in an organization, or undefined when it has no standing there at all.
 * A user's rules come from memberships (and their teams) in the organization or any ancestor: a
 * parent's member with rights acts in the children, never the other way round. An API key holds its
 * own rules, in its organization and that organization's descendants.
 */
export async function effectiveRules(db: DbHandle, actor: Actor, chain: OrgRef[]): Promise<RuleSpec[] | undefined> {
  const orgIds = chain.map((o) => o.id);
  if (actor.kind === 'api_key') {
    if (actor.organizationId === null || !orgIds.includes(actor.organizationId) || actor.apiKeyId === null)
      return undefined;
    const rows = await db
      .selectFrom('api_key_rules')
      .select(['action', 'resources'])
      .where('api_key_id', '=', actor.apiKeyId)
      .execute();
    return parseRules(rows);
  }
  if (actor.userId === null) return undefined;
  // A session opened into one organization only reaches that organization and its descendants.
  if (actor.organizationId !== null && !orgIds.includes(actor.organizationId)) return undefined;
  const memberships = await db
    .selectFrom('memberships')
    .select(['role_id'])
    .where('user_id', '=', actor.userId)
    .where('organization_id', 'in', orgIds)
    .where((eb) => eb.or([eb('invitation_state', 'is', null), eb('invitation_state', '=', 'accepted')]))
    .execute();
  if (memberships.length === 0) return undefined;
  const rows = await db
    .selectFrom('role_rules')
    .select(['action', 'resources'])
    .where((eb) =>
      eb.or([
        eb(
          'role_id',
          'in',
          memberships.map((m) => m.role_id),
        ),
        eb(
          'role_id',
          'in',
          eb
            .selectFrom('team_roles')
            .innerJoin('team_members', 'team_members.team_id', 'team_roles.team_id')
            .innerJoin('teams', 'teams.id', 'team_roles.team_id')
            .select('team_roles.role_id')
            .where('team_members.user_id', '=', actor.userId as number)
            .where('teams.organization_id', 'in', orgIds),
        ),
      ]),
    )
    .execute();
  return parseRules(rows);
}

export function makeAccess(actor: Actor, chain: OrgRef[], rules: RuleSpec[]): Access {
  const organization = chain[0];
  return {
    actor,
    organization,
    chain,
    rules,
    can(action, entities = [], ownerUserId) {
      // Ownership grants everything on that one entity, to users only: an API key never exceeds its rules.
      if (actor.kind === 'user' && ownerUserId != null && ownerUserId === actor.userId) return true;
      return rulesAllow(rules, action, resourcePath(action, organization.canonical, entities));
    },
  };
}

/** Resolves the caller's standing in an organization; another tenant's organization is a 404. */
export async function accessTo(db: DbHandle, actor: Actor, canonical: string): Promise<Access> {
  const chain = await organizationChain(db, canonical);
  const rules = chain ? await effectiveRules(db, actor, chain) : undefined;
  if (!chain || !rules) throw notFound(`organization '${canonical}'`);
  return makeAccess(actor, chain, rules);
}

export function demand(
  access: Access,
  action: string,
  entities: readonly string[] = [],
  ownerUserId?: number | null,
): void {
  if (!access.can(action, entities, ownerUserId)) {
    throw forbidden(
      `you are not allowed to ${action} on ${resourcePath(action, access.organization.canonical, entities)}`,
    );
  }
}
