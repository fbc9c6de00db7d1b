// A stack's forms shown for an existing component: each var's `current` value (and `mismatch_values`
// when the component's files disagree). Components live in a module that depends on this one, so it
// registers the reader of a component's saved values here (as it registers its stack usage).
import type { FormValues, Samples } from '../../engines/forms/index.js';
import type { components } from '../../generated/contract.js';
import type { Access } from '../../platform/authz/access.js';
import type { DbHandle } from '../../platform/db/database.js';
import { renderOnPool } from './render-pool.js';
import type { StackRow } from './repo.js';

type ConfigsView = components['schemas']['ServiceCatalogConfigs'];
type FormView = NonNullable<components['schemas']['ServiceCatalogConfig']['forms']>;

/** What a component saved: its use case, its form values, and its files as its config repository holds them. */
export interface SavedComponent {
  useCase: string;
  vars: FormValues;
  /** The files of each technology at their destinations; absent when the repository could not be read. */
  files?: Required<Samples>;
}

/**
 * The saved component at a place, if it exists, is made from `stack` and the caller may read it;
 * `configs` are the stack's use cases rendered for that place (their destinations name the files).
 */
export type SavedComponentReader = (
  db: DbHandle,
  access: Access,
  stack: StackRow,
  place: { project: string; environment: string; component: string },
  configs: ConfigsView,
) => Promise<SavedComponent | undefined>;

let reader: SavedComponentReader | undefined;

export function registerSavedComponentReader(read: SavedComponentReader): void {
  reader = read;
}

/** The component's use case, its form annotated with the saved values (on a render worker). */
export async function withComponentValues(
  db: DbHandle,
  access: Access,
  stack: StackRow,
  place: { project?: string; environment?: string; component?: string },
  configs: ConfigsView,
): Promise<ConfigsView> {
  const { project, environment, component } = place;
  if (!reader || project === undefined || environment === undefined || component === undefined) return configs;
  const saved = await reader(db, access, stack, { project, environment, component }, configs);
  const config = saved && configs[saved.useCase];
  if (!saved || !config?.forms) return configs;
  config.forms = (await renderOnPool('stack.current-values', {
    form: config.forms as never,
    saved: saved.vars,
    files: saved.files,
  })) as FormView;
  return configs;
}
