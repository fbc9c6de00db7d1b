import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBareRepo } from './git-servers.js';

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
