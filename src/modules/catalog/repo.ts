import type { DbHandle } from '../../platform/db/database.js';
import { prepared } from '../../platform/db/prepared.js';
import { OWNER_COLUMNS } from '../../platform/ownership/present.js';

/** Catalog repositories of one organization with their owner, credential and stack count. */
export function sourceQuery(db: DbHandle, organizationId: number) {
  return db
    .selectFrom('catalog_sources')
    .leftJoin('users as owner', 'owner.id', 'catalog_sources.owner_user_id')
    .leftJoin('credentials', 'credentials.id', 'catalog_sources.credential_id')
    .where('catalog_sources.organization_id', '=', organizationId)
    .select((eb) => [
      'catalog_sources.id',
      'catalog_sources.organization_id',
      'catalog_sources.canonical',
      'catalog_sources.name',
      'catalog_sources.url',
      'catalog_sources.branch',
      'catalog_sources.credential_id',
      'catalog_sources.owner_user_id',
      'catalog_sources.team_id',
      'catalog_sources.visibility',
      'catalog_sources.indexed_commit',
      'catalog_sources.index_version',
      'catalog_sources.problems',
      'catalog_sources.refreshed_at',
      'catalog_sources.created_at',
      'catalog_sources.updated_at',
      'credentials.canonical as credential_canonical',
      'credentials.type as credential_type',
      'credentials.path as credential_path',
      eb
        .selectFrom('catalog_stacks')
        .select((s) => s.fn.countAll<number>().as('n'))
        .whereRef('catalog_stacks.source_id', '=', 'catalog_sources.id')
        .as('stack_count'),
      ...OWNER_COLUMNS,
    ]);
}

export type SourceRow = Awaited<ReturnType<ReturnType<typeof sourceQuery>['executeTakeFirstOrThrow']>>;

const sourceByCanonical = prepared((db, p: { org: number; canonical: string }) =>
  sourceQuery(db, p.org).where('catalog_sources.canonical', '=', p.canonical),
);

export function findSource(db: DbHandle, organizationId: number, canonical: string): Promise<SourceRow | undefined> {
  return sourceByCanonical.first(db, { org: organizationId, canonical });
}

export function findSourceById(db: DbHandle, organizationId: number, id: number): Promise<SourceRow | undefined> {
  return sourceQuery(db, organizationId).where('catalog_sources.id', '=', id).executeTakeFirst();
}

/** Columns of a stack as lists show it: everything but the stored files, forms and diagram. */
const STACK_LIST_COLUMNS = [
  'catalog_stacks.id',
  'catalog_stacks.organization_id',
  'catalog_stacks.source_id',
  'catalog_stacks.canonical',
  'catalog_stacks.directory',
  'catalog_stacks.name',
  'catalog_stacks.author',
  'catalog_stacks.description',
  'catalog_stacks.keywords',
  'catalog_stacks.image',
  'catalog_stacks.technologies',
  'catalog_stacks.dependencies',
  'catalog_stacks.cloud_providers',
  'catalog_stacks.blueprint',
  'catalog_stacks.version',
  'catalog_stacks.form_enabled',
  'catalog_stacks.quota_enabled',
  'catalog_stacks.visibility',
  'catalog_stacks.team_id',
  'catalog_stacks.created_at',
  'catalog_stacks.updated_at',
  'organizations.canonical as organization_canonical',
  'organizations.parent_id as organization_parent_id',
  'catalog_sources.canonical as source_canonical',
  'teams.canonical as team_canonical',
  'teams.name as team_name',
  'teams.created_at as team_created_at',
  'teams.updated_at as team_updated_at',
] as const;

/** Stacks with what their presentation needs (organization, source, team), from any organization. */
export function stackQuery(db: DbHandle) {
  return db
    .selectFrom('catalog_stacks')
    .innerJoin('organizations', 'organizations.id', 'catalog_stacks.organization_id')
    .innerJoin('catalog_sources', 'catalog_sources.id', 'catalog_stacks.source_id')
    .leftJoin('teams', 'teams.id', 'catalog_stacks.team_id')
    .select(STACK_LIST_COLUMNS);
}

export type StackRow = Awaited<ReturnType<ReturnType<typeof stackQuery>['executeTakeFirstOrThrow']>> & {
  readme?: string | null;
};

/** A stack of an organization by canonical, with its README. */
export function findStack(db: DbHandle, organizationId: number, canonical: string): Promise<StackRow | undefined> {
  return stackQuery(db)
    .select('catalog_stacks.readme')
    .where('catalog_stacks.organization_id', '=', organizationId)
    .where('catalog_stacks.canonical', '=', canonical)
    .executeTakeFirst();
}

export function stacksByIds(db: DbHandle, ids: number[]): Promise<StackRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return stackQuery(db).where('catalog_stacks.id', 'in', ids).orderBy('catalog_stacks.canonical').execute();
}

export function stacksOfSource(db: DbHandle, sourceId: number): Promise<StackRow[]> {
  return stackQuery(db).where('catalog_stacks.source_id', '=', sourceId).orderBy('catalog_stacks.canonical').execute();
}

/** What a refresh compares: each stored stack's canonical and digest. */
export function storedDigests(db: DbHandle, sourceId: number) {
  return db
    .selectFrom('catalog_stacks')
    .select(['id', 'canonical', 'digest'])
    .where('source_id', '=', sourceId)
    .execute();
}

/** Canonicals of the organization's stacks from its other catalog repositories (canonicals are org-unique). */
export async function canonicalsOfOtherSources(
  db: DbHandle,
  organizationId: number,
  sourceId: number,
): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('catalog_stacks')
    .innerJoin('catalog_sources', 'catalog_sources.id', 'catalog_stacks.source_id')
    .select(['catalog_stacks.canonical', 'catalog_sources.canonical as source'])
    .where('catalog_stacks.organization_id', '=', organizationId)
    .where('catalog_stacks.source_id', '!=', sourceId)
    .execute();
  return new Map(rows.map((r) => [r.canonical, r.source]));
}

/** The use cases, forms and files of a stack (getServiceCatalogConfig). */
export function stackContent(db: DbHandle, stackId: number) {
  return db
    .selectFrom('catalog_stacks')
    .select(['use_cases', 'forms', 'files', 'directory', 'version'])
    .where('id', '=', stackId)
    .executeTakeFirstOrThrow();
}

export async function teamByCanonical(db: DbHandle, organizationId: number, canonical: string) {
  return db
    .selectFrom('teams')
    .select(['id', 'canonical'])
    .where('organization_id', '=', organizationId)
    .where('canonical', '=', canonical)
    .executeTakeFirst();
}

/** What stack templates may say about the catalog repository of a stack. */
export function sourceForTemplating(db: DbHandle, sourceId: number) {
  return db
    .selectFrom('catalog_sources')
    .leftJoin('credentials', 'credentials.id', 'catalog_sources.credential_id')
    .select([
      'catalog_sources.canonical',
      'catalog_sources.name',
      'catalog_sources.url',
      'catalog_sources.branch',
      'credentials.type as credential_type',
      'credentials.path as credential_path',
    ])
    .where('catalog_sources.id', '=', sourceId)
    .executeTakeFirstOrThrow();
}
