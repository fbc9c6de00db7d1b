import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBareRepo } from './git-servers.js';

/**
 * A local bare repository for config repositories (branches `main` and `config`), outside any server's
 * data directory. Test servers allow local repositories on both engines (helpers/server.ts).
 */
export function configRepoFixture(name = 'config'): string {
  const root = mkdtempSync(join(tmpdir(), 'gantry-config-repo-'));
  return makeBareRepo(root, name, {
    main: { 'README.md': '# configuration\n' },
    config: { 'README.md': '# configuration branch\n' },
  });
}
