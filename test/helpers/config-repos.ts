import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestOrg } from './factories.js';
import { makeBareRepo } from './git-servers.js';
import type { TestServer } from './server.js';

let shared: string | undefined;

/**
 * A local bare repository for config repositories (branches `main` and `config`), outside any server's
 * data directory. Test servers allow local repositories on both engines (helpers/server.ts). Each call
 * gets its own URL; sweeps that make many organizations pass `shared` to get a link to one repository
 * instead of building a new one each time.
 */
export function configRepoFixture(name = 'config', options: { shared?: boolean } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'gantry-config-repo-'));
  if (!options.shared) return build(root, name);
  shared ??= build(mkdtempSync(join(tmpdir(), 'gantry-config-repo-')), 'shared');
  const link = join(root, `${name}.git`);
  symlinkSync(shared, link);
  return link;
}

function build(root: string, name: string): string {
  return makeBareRepo(root, name, {
    main: { 'README.md': '# configuration\n' },
    config: { 'README.md': '# configuration branch\n' },
  });
}

/** What `shopWithConfigRepo` made: the config repository's bare path (inspect it with git). */
export interface Shop {
  configRepo: string;
}

/**
 * Through the API, in `org`: a basic-auth git credential `git-basic`, a default config repository
 * `config` (a fresh local bare repository), the project `shop` on it and its environments.
 */
export async function shopWithConfigRepo(
  server: TestServer,
  org: TestOrg,
  token: string,
  environments: string[] = ['prod'],
): Promise<Shop> {
  const post = async (path: string, body: Record<string, unknown>) => {
    const res = await server.request('POST', `/organizations/${org.canonical}${path}`, { token, body });
    assert.equal(res.status, 200, `POST ${path}: ${res.text}`);
  };
  await post('/credentials', {
    name: 'Git',
    canonical: 'git-basic',
    path: 'git',
    type: 'basic_auth',
    raw: { username: 'u', password: 'p' },
  });
  const configRepo = configRepoFixture();
  await post('/config_repositories', {
    name: 'Config',
    canonical: 'config',
    url: configRepo,
    branch: 'main',
    credential_canonical: 'git-basic',
    default: true,
  });
  await post('/projects', { name: 'Shop', canonical: 'shop', config_repository_canonical: 'config' });
  for (const environment of environments) {
    await post('/projects/shop/environments', { name: environment, canonical: environment });
  }
  return { configRepo };
}

/** A remote-state backend for project `shop` (its machine token is what templates get as `inventory_jwt`). */
export async function shopRemoteState(server: TestServer, org: TestOrg, token: string): Promise<void> {
  const backend = await server.request('POST', `/organizations/${org.canonical}/external_backends`, {
    token,
    body: {
      purpose: 'remote_tfstate',
      project_canonical: 'shop',
      configuration: { engine: 'HTTPStorage', url: 'https://state.example.com/shop' },
    },
  });
  assert.equal(backend.status, 200, backend.text);
}
