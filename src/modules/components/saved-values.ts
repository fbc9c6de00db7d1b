// What a component holds, for its stack's forms (catalog/component-values.ts): its saved form values,
// and its files read back from its project's config repository at their rendered destinations.
import type { FormValues, Samples } from '../../engines/forms/index.js';
import type { components } from '../../generated/contract.js';
import type { SavedComponentReader } from '../catalog/component-values.js';
import { checkedTarget, openRemote } from '../config-repositories/git-remote.js';
import { findConfigRepository } from '../config-repositories/repo.js';
import type { GitDeps } from '../config-repositories/service.js';
import { findEnvironment, findProject } from '../projects/repo.js';
import { findComponent } from './repo.js';

type ConfigView = components['schemas']['ServiceCatalogConfig'];
type Log = { warn(fields: object, message: string): void };

/**
 * The reader the catalog asks: nothing when the component does not exist, is made from another stack,
 * or the caller may not read it. A config repository that cannot be read leaves `files` out (the
 * saved values are still shown), and is logged.
 */
export function savedComponentReader(git: GitDeps, log: Log): SavedComponentReader {
  return async (db, access, stack, place, configs) => {
    const organizationId = access.organization.id;
    const project = await findProject(db, organizationId, place.project);
    const environment = project && (await findEnvironment(db, organizationId, project.id, place.environment));
    const component = environment && (await findComponent(db, organizationId, environment.id, place.component));
    if (!project || !component || component.stack_id !== stack.id) return undefined;
    const entities = [project.canonical, place.environment, component.canonical];
    if (!access.can('organization:project:environment:component:read', entities, project.owner_user_id)) {
      return undefined;
    }
    const saved = { useCase: component.use_case, vars: JSON.parse(component.vars) as FormValues };
    const config = configs[component.use_case];
    if (!config || !project.config_repository_canonical) return saved;
    try {
      const repository = await findConfigRepository(db, organizationId, project.config_repository_canonical);
      if (!repository) return saved;
      const target = checkedTarget(repository.url, git.policy);
      const remote = await openRemote(db, git.vault, organizationId, repository.url, target, repository.credential_id);
      const { dir, commit } = await git.git.sync(remote, repository.branch);
      const wanted = destinations(config);
      const read = await git.git.readFiles(dir, commit, [...new Set(wanted.map((w) => w.path))]);
      const files: Required<Samples> = { variables: '', terraform: {}, ansible: {} };
      for (const w of wanted) {
        const bytes = read.get(w.path);
        if (bytes) w.put(files, bytes.toString('utf8'));
      }
      return { ...saved, files };
    } catch (error) {
      log.warn(
        { err: error, component: component.canonical, project: project.canonical },
        'the config repository could not be read: form values shown without the files',
      );
      return saved;
    }
  };
}

/** Where each technology's file of a rendered use case is saved (destinations as written by components). */
function destinations(config: ConfigView): { path: string; put: (files: Required<Samples>, text: string) => void }[] {
  const out: { path: string; put: (files: Required<Samples>, text: string) => void }[] = [];
  const pathOf = (destination: string) => destination.trim().replace(/^\/+/, '');
  const variables = pathOf(config.pipeline.variables.destination);
  if (variables)
    out.push({
      path: variables,
      put: (f, t) => {
        f.variables = t;
      },
    });
  for (const tech of ['terraform', 'ansible'] as const) {
    for (const [name, entry] of Object.entries(config[tech] ?? {})) {
      const path = pathOf(entry.destination);
      if (path)
        out.push({
          path,
          put: (f, t) => {
            f[tech][name] = t;
          },
        });
    }
  }
  return out;
}
