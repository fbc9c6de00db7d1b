import { nowSeconds } from '../../src/platform/db/columns.js';
import type { TestOrg } from './factories.js';
import type { TestServer } from './server.js';

/**
 * Projects and environments written straight to the database, for tests of other modules that only
 * need them to exist (log sources): a credential and a config repository are made for them, never
 * used. Projects' own tests go through HTTP.
 */
export async function insertProjects(
  server: TestServer,
  org: TestOrg,
  environmentsByProject: Record<string, string[]>,
): Promise<void> {
  const db = server.database.db;
  const now = nowSeconds();
  const tag = `scope-${org.id}`;
  const credential = await db
    .insertInto('credentials')
    .values({
      organization_id: org.id,
      canonical: tag,
      name: tag,
      description: '',
      type: 'basic_auth',
      path: tag,
      keys: '["username","password"]',
      sealed_raw: 'unused',
      owner_user_id: null,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const repository = await db
    .insertInto('config_repositories')
    .values({
      organization_id: org.id,
      canonical: tag,
      name: tag,
      url: '/nowhere/config.git',
      branch: 'main',
      credential_id: credential.id,
      is_default: 0,
      owner_user_id: null,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const [canonical, environments] of Object.entries(environmentsByProject)) {
    const project = await db
      .insertInto('projects')
      .values({
        organization_id: org.id,
        canonical,
        name: canonical,
        description: '',
        color: 'default',
        icon: 'extension',
        cloud_provider: null,
        config_repository_id: repository.id,
        team_id: null,
        owner_user_id: null,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const environment of environments) {
      await db
        .insertInto('environments')
        .values({
          organization_id: org.id,
          project_id: project.id,
          canonical: environment,
          name: environment,
          color: 'default',
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
  }
}
