import type { Access } from '../../platform/authz/access.js';
import { canSeeAll } from '../../platform/authz/grants.js';
import { canonicalFromName } from '../../platform/canonical.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { applyOrder, containsText, NOTHING } from '../../platform/db/listing.js';
import { canonicalTaken, conflict, notFound, unprocessable } from '../../platform/errors.js';
import { type OrderBy, sortableFields } from '../../platform/http/ordering.js';
import { fetchPage, Page, type Paging } from '../../platform/http/paging.js';
import { ownerAfterUpdate, ownerInBody } from '../../platform/ownership/input.js';
import { visibleOwnedIds } from '../../platform/ownership/lookups.js';
import { type ProjectRelations, type ProjectView, presentProject } from './present.js';
import { backendsScopedTo, environmentsOf, favoritesOf, findProject, type ProjectRow, projectQuery } from './repo.js';

export interface ProjectFilters {
  project_name?: string;
  project_created_at?: number;
  project_description?: string;
  project_config_repository_canonical?: string;
  service_catalog_source_canonical?: string;
  member_id?: number;
  favorite?: boolean;
  environment_canonical?: string;
}

export const PROJECT_SORTABLE = sortableFields('project', {
  id: 'projects.id',
  name: 'projects.name',
  canonical: 'projects.canonical',
  created_at: 'projects.created_at',
  updated_at: 'projects.updated_at',
});

/** Shown when a create names none: the console's neutral choices. */
const DEFAULT_COLOR = 'default';
const DEFAULT_ICON = 'extension';

export const projectNotFound = (canonical: string) => notFound(`project '${canonical}'`);

/** Ids of the projects the caller may read, or undefined when it may see them all. */
export async function visibleProjectIds(db: DbHandle, access: Access): Promise<number[] | undefined> {
  if (canSeeAll(access, 'organization:project')) return undefined;
  return visibleOwnedIds(db, 'projects', access.organization.id, (p) =>
    access.can('organization:project:read', [p.canonical], p.owner_user_id),
  );
}

async function relationsOf(db: DbHandle, access: Access, rows: readonly ProjectRow[]): Promise<ProjectRelations> {
  const ids = rows.map((r) => r.id);
  const [environments, favorites] = await Promise.all([
    environmentsOf(db, access.organization.id, ids),
    favoritesOf(db, access.actor.userId, ids),
  ]);
  return { environments, favorites };
}

export async function readProject(db: DbHandle, access: Access, row: ProjectRow): Promise<ProjectView> {
  return presentProject(row, await relationsOf(db, access, [row]));
}

/** Projects the caller may see, filtered and ordered as the contract's query says, paged in SQL. */
export async function listProjects(
  db: DbHandle,
  access: Access,
  filters: ProjectFilters,
  paging: Paging,
  orderBy: OrderBy[],
): Promise<Page<ProjectView>> {
  const orgId = access.organization.id;
  let query = projectQuery(db, orgId);
  const visible = await visibleProjectIds(db, access);
  if (visible) query = visible.length > 0 ? query.where('projects.id', 'in', visible) : query.where(NOTHING);
  if (filters.project_name !== undefined) query = query.where(containsText('projects.name', filters.project_name));
  if (filters.project_description !== undefined) {
    query = query.where(containsText('projects.description', filters.project_description));
  }
  if (filters.project_created_at !== undefined) {
    query = query.where('projects.created_at', '=', filters.project_created_at);
  }
  if (filters.project_config_repository_canonical !== undefined) {
    query = query.where('cr.canonical', '=', filters.project_config_repository_canonical);
  }
  // Projects use catalog sources through their components' stacks; until components exist, none does.
  if (filters.service_catalog_source_canonical !== undefined) query = query.where(NOTHING);
  const memberId = filters.member_id;
  if (memberId !== undefined) {
    // A member's projects: those they own, and those of the teams they belong to.
    query = query.where((eb) =>
      eb.or([
        eb(
          'projects.owner_user_id',
          'in',
          eb
            .selectFrom('memberships')
            .select('memberships.user_id')
            .where('memberships.id', '=', memberId)
            .where('memberships.organization_id', '=', orgId),
        ),
        eb(
          'projects.team_id',
          'in',
          eb
            .selectFrom('team_members')
            .innerJoin('memberships', 'memberships.user_id', 'team_members.user_id')
            .select('team_members.team_id')
            .where('memberships.id', '=', memberId)
            .where('memberships.organization_id', '=', orgId),
        ),
      ]),
    );
  }
  if (filters.favorite !== undefined) {
    const userId = access.actor.userId ?? 0;
    const favorites = db.selectFrom('project_favorites').select('project_id').where('user_id', '=', userId);
    query = query.where('projects.id', filters.favorite ? 'in' : 'not in', favorites);
  }
  const environment = filters.environment_canonical;
  if (environment !== undefined) {
    query = query.where('projects.id', 'in', (eb) =>
      eb
        .selectFrom('environments')
        .select('environments.project_id')
        .where('environments.organization_id', '=', orgId)
        .where('environments.canonical', '=', environment),
    );
  }
  const page = await fetchPage(applyOrder(query, orderBy, 'projects.id'), paging);
  const relations = await relationsOf(db, access, page.items);
  return new Page(
    page.items.map((row) => presentProject(row, relations)),
    page.total,
    page.paging,
  );
}

export interface ProjectInput {
  name: string;
  canonical?: string;
  description?: string;
  color?: string;
  icon?: string;
  owner?: string;
  team_canonical?: string;
  config_repository_canonical?: string;
  cloud_provider?: string;
  updated_at?: number;
}

async function configRepositoryId(db: DbHandle, access: Access, canonical: string): Promise<number> {
  const row = await db
    .selectFrom('config_repositories')
    .select('id')
    .where('organization_id', '=', access.organization.id)
    .where('canonical', '=', canonical)
    .executeTakeFirst();
  if (!row) throw unprocessable(`config_repository_canonical: config repository '${canonical}' does not exist`);
  return row.id;
}

async function teamId(db: DbHandle, access: Access, canonical: string): Promise<number> {
  const row = await db
    .selectFrom('teams')
    .select('id')
    .where('organization_id', '=', access.organization.id)
    .where('canonical', '=', canonical)
    .executeTakeFirst();
  if (!row) throw unprocessable(`team_canonical: team '${canonical}' does not exist`);
  return row.id;
}

export async function createProject(db: DbHandle, access: Access, input: ProjectInput): Promise<ProjectView> {
  const orgId = access.organization.id;
  const canonical = input.canonical ?? canonicalFromName(input.name);
  const crId = await configRepositoryId(db, access, input.config_repository_canonical!);
  const team = input.team_canonical !== undefined ? await teamId(db, access, input.team_canonical) : null;
  // Omitted owner: the creator (for an API key, the key's owner, which may be nobody).
  const ownerId = input.owner !== undefined ? await ownerInBody(db, access, input.owner) : access.actor.userId;
  if (await findProject(db, orgId, canonical)) throw canonicalTaken('project', canonical, access.organization);
  const now = nowSeconds();
  await db
    .insertInto('projects')
    .values({
      organization_id: orgId,
      canonical,
      name: input.name,
      description: input.description ?? '',
      color: input.color ?? DEFAULT_COLOR,
      icon: input.icon ?? DEFAULT_ICON,
      cloud_provider: null,
      config_repository_id: crId,
      team_id: team,
      owner_user_id: ownerId,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return readProject(db, access, (await findProject(db, orgId, canonical))!);
}

/**
 * `updated_at` must be the value the caller read (optimistic locking): a stale one is a 409. Fields
 * the body omits keep their value. A new `config_repository_canonical` re-points the project; once
 * components commit files, this is where they move with it (config-repositories.md).
 */
export async function updateProject(
  db: DbHandle,
  access: Access,
  row: ProjectRow,
  input: ProjectInput,
): Promise<ProjectView> {
  if (input.updated_at !== row.updated_at) {
    throw conflict(
      `updated_at: project '${row.canonical}' changed since it was read (updated_at ${row.updated_at}, you sent ${input.updated_at}); read it again`,
    );
  }
  const crId =
    input.config_repository_canonical !== undefined
      ? await configRepositoryId(db, access, input.config_repository_canonical)
      : row.config_repository_id;
  const ownerId = await ownerAfterUpdate(db, access, row.owner_user_id, input.owner, `project '${row.canonical}'`);
  // Bumped past the value read even within the same second, so the next stale write is detected.
  const updatedAt = Math.max(nowSeconds(), row.updated_at + 1);
  const result = await db
    .updateTable('projects')
    .set({
      name: input.name,
      description: input.description ?? row.description,
      color: input.color ?? row.color,
      icon: input.icon ?? row.icon,
      cloud_provider: input.cloud_provider ?? row.cloud_provider,
      config_repository_id: crId,
      owner_user_id: ownerId,
      updated_at: updatedAt,
    })
    .where('id', '=', row.id)
    .where('updated_at', '=', row.updated_at)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1)
    throw conflict(`updated_at: project '${row.canonical}' changed meanwhile; read it again`);
  return readProject(db, access, (await findProject(db, access.organization.id, row.canonical))!);
}

/**
 * Deletes the project with its environments (cascaded; the audit event names them). Refused (409) while
 * external backends or log sources are scoped to the project or one of its environments: they name it
 * by canonical and would silently apply elsewhere later.
 */
export async function deleteProject(db: DbHandle, access: Access, row: ProjectRow): Promise<string[]> {
  const backends = await backendsScopedTo(db, access.organization.id, row.canonical);
  if (backends.length > 0) {
    throw conflict(
      `project '${row.canonical}' is the scope of ${backends.length} external backend(s); delete or rescope them first`,
      backends.map(describeBackend),
    );
  }
  const environments = (await environmentsOf(db, access.organization.id, [row.id])).get(row.id) ?? [];
  await db.deleteFrom('projects').where('id', '=', row.id).execute();
  return environments.map((e) => e.canonical);
}

export function describeBackend(b: {
  id: number;
  purpose: string;
  engine: string;
  environment_canonical: string | null;
}) {
  return `external backend ${b.id} (${b.purpose}, ${b.engine}${b.environment_canonical ? `, environment ${b.environment_canonical}` : ''})`;
}

/** Marks the project as one of the caller's favorites; doing it twice changes nothing. */
export async function addFavorite(db: DbHandle, access: Access, row: ProjectRow): Promise<void> {
  const userId = demandUser(access);
  await db
    .insertInto('project_favorites')
    .values({ user_id: userId, project_id: row.id, created_at: nowSeconds() })
    .onConflict((oc) => oc.columns(['user_id', 'project_id']).doNothing())
    .execute();
}

export async function removeFavorite(db: DbHandle, access: Access, row: ProjectRow): Promise<void> {
  const userId = demandUser(access);
  await db.deleteFrom('project_favorites').where('user_id', '=', userId).where('project_id', '=', row.id).execute();
}

/** Favorites belong to a user: an API key acts for its owner. */
function demandUser(access: Access): number {
  if (access.actor.userId === null) throw unprocessable('favorites belong to a user; this API key has no owner');
  return access.actor.userId;
}
