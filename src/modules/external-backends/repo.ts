import { credentialUser } from '../../platform/credential-users.js';
import type { DbHandle } from '../../platform/db/database.js';

/** Backends of one organization with their credential's canonical (null once that credential is gone). */
export function backendQuery(db: DbHandle, organizationId: number) {
  return db
    .selectFrom('external_backends')
    .leftJoin('credentials', 'credentials.id', 'external_backends.credential_id')
    .select([
      'external_backends.id',
      'external_backends.organization_id',
      'external_backends.purpose',
      'external_backends.engine',
      'external_backends.is_default',
      'external_backends.credential_id',
      'external_backends.project_canonical',
      'external_backends.environment_canonical',
      'external_backends.component_canonical',
      'external_backends.configuration',
      'external_backends.token_version',
      'external_backends.created_at',
      'external_backends.updated_at',
      'credentials.canonical as credential_canonical',
    ])
    .where('external_backends.organization_id', '=', organizationId);
}

export type BackendRow = Awaited<ReturnType<ReturnType<typeof backendQuery>['executeTakeFirstOrThrow']>>;

export function findBackend(db: DbHandle, organizationId: number, id: number): Promise<BackendRow | undefined> {
  return backendQuery(db, organizationId).where('external_backends.id', '=', id).executeTakeFirst();
}

export interface Scope {
  project: string | null;
  environment: string | null;
  component: string | null;
}

/** Another backend of the same purpose with exactly this project/environment/component scope. */
export async function backendWithScope(
  db: DbHandle,
  organizationId: number,
  purpose: string,
  scope: Scope,
  exceptId?: number,
): Promise<number | undefined> {
  let query = db
    .selectFrom('external_backends')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('purpose', '=', purpose);
  for (const [column, value] of [
    ['project_canonical', scope.project],
    ['environment_canonical', scope.environment],
    ['component_canonical', scope.component],
  ] as const) {
    query = value === null ? query.where(column, 'is', null) : query.where(column, '=', value);
  }
  if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
  return (await query.executeTakeFirst())?.id;
}

/**
 * The backend serving a purpose for a project environment: the most specific one wins (environment,
 * then project, then the organization's default, then the oldest organization-wide one, so a lone
 * backend nobody marked as default still serves).
 */
export async function applicableBackend(
  db: DbHandle,
  organizationId: number,
  purpose: string,
  project: string,
  environment: string,
): Promise<BackendRow | undefined> {
  const candidates = await backendQuery(db, organizationId)
    .where('external_backends.purpose', '=', purpose)
    .where('external_backends.component_canonical', 'is', null)
    .where((eb) =>
      eb.or([
        eb.and([
          eb('external_backends.project_canonical', '=', project),
          eb.or([
            eb('external_backends.environment_canonical', '=', environment),
            eb('external_backends.environment_canonical', 'is', null),
          ]),
        ]),
        eb('external_backends.project_canonical', 'is', null),
      ]),
    )
    .execute();
  const rank = (row: BackendRow) =>
    row.environment_canonical ? 3 : row.project_canonical ? 2 : row.is_default === 1 ? 1 : 0;
  return candidates.sort((a, b) => rank(b) - rank(a) || a.id - b.id)[0];
}

/** External backends using credentials: what a credential's `in_use` lists and what blocks its delete. */
export const backendCredentialUser = credentialUser({
  kind: 'external backend',
  group: 'external_backends',
  async find(db, credentialIds) {
    const rows = await db
      .selectFrom('external_backends')
      .select([
        'id',
        'credential_id',
        'purpose',
        'engine',
        'project_canonical',
        'environment_canonical',
        'component_canonical',
      ])
      .where('credential_id', 'in', [...credentialIds])
      .orderBy('id')
      .execute();
    return rows.map((row) => {
      const scope = [row.project_canonical, row.environment_canonical, row.component_canonical].filter(Boolean);
      return {
        credentialId: row.credential_id as number,
        label: `external backend ${row.id} (${row.purpose}, ${row.engine}${scope.length > 0 ? `, ${scope.join('/')}` : ''})`,
        entry: {
          purpose: row.purpose,
          engine: row.engine,
          ...(row.project_canonical
            ? { project: { canonical: row.project_canonical, name: row.project_canonical } }
            : {}),
          ...(row.environment_canonical ? { environment: { canonical: row.environment_canonical } } : {}),
          ...(row.component_canonical ? { component: { canonical: row.component_canonical } } : {}),
        },
      };
    });
  },
});
