import type { FormValues } from '../../engines/forms/index.js';
import { type Access, demand } from '../../platform/authz/access.js';
import { canonicalFromName } from '../../platform/canonical.js';
import { type ComponentChange, checkComponentChange, componentChanged } from '../../platform/component-listeners.js';
import type { JwtSigner } from '../../platform/crypto/jwt.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { NOTHING } from '../../platform/db/listing.js';
import { AppError, conflict, notFound, unprocessable } from '../../platform/errors.js';
import type { Paging } from '../../platform/http/paging.js';
import { type StackRow, stacksByIds } from '../catalog/repo.js';
import { requireStack } from '../catalog/stacks.js';
import { commitConfigFiles } from '../config-repositories/config-files.js';
import { findConfigRepository } from '../config-repositories/repo.js';
import type { GitDeps } from '../config-repositories/service.js';
import { CLOUD_PROVIDERS } from '../projects/cloud-providers.js';
import type { EnvironmentRow, ProjectRow } from '../projects/repo.js';
import { visibleProjectIds } from '../projects/service.js';
import { type ComponentView, presentComponent } from './present.js';
import { type Place, renderComponentFiles } from './render.js';
import { type ComponentRow, componentQuery, findComponent, findComponentById, legacyComponentsOf } from './repo.js';

export interface NewComponentInput {
  name: string;
  canonical?: string;
  description?: string;
  service_catalog_ref: string;
  use_case: string;
  cloud_provider_canonical?: string;
  vars?: FormValues;
}

export interface UpdateComponentInput {
  name: string;
  description?: string;
  use_case: string;
  vars?: FormValues;
}

/** What component writes need: the config repositories' git, and the signer of backend tokens (`inventory_jwt`). */
export interface WriteDeps extends GitDeps {
  signer: JwtSigner;
}

/** Where a component sits: its project and environment rows. */
export interface Scope {
  project: ProjectRow;
  environment: EnvironmentRow;
}

/** What `prepare` settled before the transaction: the stack and the commit that holds the files. */
export interface Prepared {
  canonical: string;
  stack: StackRow;
  commit: string | undefined;
}

export const componentNotFound = (scope: Scope, canonical: string) =>
  notFound(
    `component '${canonical}' of project '${scope.project.canonical}', environment '${scope.environment.canonical}'`,
  );

/** What listeners (pipelines, quotas) are told of a change at `scope`. */
function changeAt(
  action: ComponentChange['action'],
  access: Access,
  scope: Scope,
  component: { canonical: string; stackRef: string; useCase: string; vars: FormValues | undefined; id?: number },
): ComponentChange {
  return {
    action,
    organizationId: access.organization.id,
    project: scope.project.canonical,
    environment: scope.environment.canonical,
    component: component.canonical,
    ...(component.id === undefined ? {} : { componentId: component.id }),
    stackRef: component.stackRef,
    useCase: component.useCase,
    vars: component.vars ?? {},
  };
}

const changeOfRow = (action: ComponentChange['action'], access: Access, scope: Scope, row: ComponentRow) =>
  changeAt(action, access, scope, {
    canonical: row.canonical,
    stackRef: row.stack_ref,
    useCase: row.use_case,
    vars: componentConfig(row),
    id: row.id,
  });

export async function present(db: DbHandle, rows: ComponentRow[]): Promise<ComponentView[]> {
  const ids = [...new Set(rows.map((r) => r.stack_id).filter((id): id is number => id !== null))];
  const stacks = new Map((await stacksByIds(db, ids)).map((s) => [s.id, s]));
  return rows.map((r) => presentComponent(r, r.stack_id === null ? undefined : stacks.get(r.stack_id)));
}

async function presentOne(db: DbHandle, access: Access, id: number): Promise<ComponentView> {
  return (await present(db, [await findComponentById(db, access.organization.id, id)]))[0]!;
}

/** No pagination in the contract's answer, but the page is still cut in SQL. */
export async function listComponents(
  db: DbHandle,
  access: Access,
  scope: Scope | undefined,
  paging: Paging,
): Promise<ComponentView[]> {
  let query = componentQuery(db, access.organization.id);
  if (scope) query = query.where('components.environment_id', '=', scope.environment.id);
  else {
    // Organization-wide: the components of the projects the caller may read.
    const visible = await visibleProjectIds(db, access);
    if (visible)
      query = visible.length > 0 ? query.where('components.project_id', 'in', visible) : query.where(NOTHING);
  }
  const rows = await query.orderBy('components.id').limit(paging.size).offset(paging.offset).execute();
  return present(db, rows);
}

async function demandFreeCanonical(db: DbHandle, access: Access, scope: Scope, canonical: string): Promise<void> {
  if (await findComponent(db, access.organization.id, scope.environment.id, canonical)) {
    throw conflict(
      `canonical: component '${canonical}' already exists in project '${scope.project.canonical}', environment '${scope.environment.canonical}'`,
    );
  }
}

/** Stacks before v4 write to environment-wide paths: one such component per environment. */
async function demandRoomForLegacy(db: DbHandle, scope: Scope, stackVersion: string, except?: number): Promise<void> {
  if (Number(stackVersion) >= 4) return;
  const others = await legacyComponentsOf(db, scope.environment.id, except);
  if (others.length > 0) {
    throw conflict(
      `service_catalog_ref: a v${stackVersion} stack is not component-aware and environment '${scope.environment.canonical}' already has component '${others[0]!.canonical}' made from one (${others[0]!.stack_ref})`,
      others.map((o) => `component '${o.canonical}' (${o.stack_ref})`),
    );
  }
}

async function stackOfBody(db: DbHandle, access: Access, ref: string): Promise<StackRow> {
  if (!/^[^:]+:[^:]+$/.test(ref)) throw unprocessable(`service_catalog_ref: '${ref}' is not '<organization>:<stack>'`);
  try {
    return await requireStack(db, access, ref);
  } catch (error) {
    if (error instanceof AppError && error.code === 'NotFound') {
      throw unprocessable(`service_catalog_ref: stack '${ref}' does not exist`);
    }
    throw error;
  }
}

/**
 * Renders the component's files for `place` and commits them ONCE to the project's config repository,
 * authored by the caller. Git I/O: runs in `prepare`, before the transaction. Nothing to write (a stack
 * whose use case names no destination) means no commit.
 */
async function commitFiles(
  db: DbHandle,
  git: WriteDeps,
  access: Access,
  project: ProjectRow,
  stack: StackRow,
  place: Place,
  useCase: string,
  vars: FormValues,
  title: string,
): Promise<string | undefined> {
  const files = await renderComponentFiles(db, access, git.signer, stack, place, useCase, vars);
  if (files.length === 0) return undefined;
  const repository = await findConfigRepository(db, access.organization.id, project.config_repository_canonical);
  if (!repository) throw conflict(`project '${project.canonical}' has no config repository`);
  return commitConfigFiles(db, git, access, repository, files, title);
}

const placeTitle = (place: Place) =>
  `component ${place.component} of project ${place.project}, environment ${place.environment}`;

export async function prepareCreate(
  db: DbHandle,
  git: WriteDeps,
  access: Access,
  scope: Scope,
  input: NewComponentInput,
): Promise<Prepared> {
  const canonical = input.canonical ?? canonicalFromName(input.name);
  await demandFreeCanonical(db, access, scope, canonical);
  if (
    input.cloud_provider_canonical !== undefined &&
    !CLOUD_PROVIDERS.some((p) => p.canonical === input.cloud_provider_canonical)
  ) {
    throw unprocessable(`cloud_provider_canonical: '${input.cloud_provider_canonical}' is not a known cloud provider`);
  }
  const stack = await stackOfBody(db, access, input.service_catalog_ref);
  await demandRoomForLegacy(db, scope, stack.version);
  await checkComponentChange(db, changeAt('create', access, scope, newComponent(input, canonical)));
  const place = placeOf(scope, canonical, input.name);
  const commit = await commitFiles(
    db,
    git,
    access,
    scope.project,
    stack,
    place,
    input.use_case,
    input.vars ?? {},
    `Create ${placeTitle(place)}`,
  );
  return { canonical, stack, commit };
}

const newComponent = (input: NewComponentInput, canonical: string) => ({
  canonical,
  stackRef: input.service_catalog_ref,
  useCase: input.use_case,
  vars: input.vars,
});

const placeOf = (scope: Scope, canonical: string, name: string): Place => ({
  project: scope.project.canonical,
  environment: scope.environment.canonical,
  component: canonical,
  componentName: name,
});

/**
 * Inside the transaction, after the push: the checks are made again (a concurrent request may have
 * taken the canonical or the environment's one legacy slot); such a 409 leaves the pushed commit in
 * the config repository (docs/components.md).
 */
export async function createComponent(
  db: DbHandle,
  access: Access,
  scope: Scope,
  input: NewComponentInput,
  prepared: Prepared,
): Promise<ComponentView> {
  await demandFreeCanonical(db, access, scope, prepared.canonical);
  await demandRoomForLegacy(db, scope, prepared.stack.version);
  const now = nowSeconds();
  const { id } = await db
    .insertInto('components')
    .values({
      organization_id: access.organization.id,
      project_id: scope.project.id,
      environment_id: scope.environment.id,
      stack_id: prepared.stack.id,
      stack_ref: input.service_catalog_ref,
      stack_version: prepared.stack.version,
      canonical: prepared.canonical,
      name: input.name,
      description: input.description ?? '',
      use_case: input.use_case,
      cloud_provider: input.cloud_provider_canonical ?? null,
      vars: JSON.stringify(input.vars ?? {}),
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await componentChanged(db, changeAt('create', access, scope, { ...newComponent(input, prepared.canonical), id }));
  return presentOne(db, access, id);
}

async function stackOfComponent(db: DbHandle, row: ComponentRow): Promise<StackRow> {
  const [stack] = row.stack_id === null ? [] : await stacksByIds(db, [row.stack_id]);
  if (!stack) {
    throw unprocessable(
      `service_catalog_ref: stack '${row.stack_ref}' is no longer in its catalog repository; the component's files cannot be rendered`,
    );
  }
  return stack;
}

export async function prepareUpdate(
  db: DbHandle,
  git: WriteDeps,
  access: Access,
  scope: Scope,
  row: ComponentRow,
  input: UpdateComponentInput,
): Promise<Prepared> {
  const stack = await stackOfComponent(db, row);
  await checkComponentChange(db, changeAt('update', access, scope, updatedComponent(row, input)));
  const place = placeOf(scope, row.canonical, input.name);
  const commit = await commitFiles(
    db,
    git,
    access,
    scope.project,
    stack,
    place,
    input.use_case,
    input.vars ?? {},
    `Update ${placeTitle(place)}`,
  );
  return { canonical: row.canonical, stack, commit };
}

const updatedComponent = (row: ComponentRow, input: UpdateComponentInput) => ({
  canonical: row.canonical,
  stackRef: row.stack_ref,
  useCase: input.use_case,
  vars: input.vars,
  id: row.id,
});

/** The contract's UpdateComponent carries no `updated_at`, so there is no staleness check to make. */
export async function updateComponent(
  db: DbHandle,
  access: Access,
  scope: Scope,
  row: ComponentRow,
  input: UpdateComponentInput,
): Promise<ComponentView> {
  await db
    .updateTable('components')
    .set({
      name: input.name,
      description: input.description ?? row.description,
      use_case: input.use_case,
      vars: JSON.stringify(input.vars ?? {}),
      updated_at: nowSeconds(),
    })
    .where('id', '=', row.id)
    .execute();
  await componentChanged(db, changeAt('update', access, scope, updatedComponent(row, input)));
  return presentOne(db, access, row.id);
}

/**
 * Removes the record only: the files stay in the config repository (docs/components.md). Listeners
 * (pipelines) may refuse, and remove what they hold for the component in the same transaction.
 */
export async function deleteComponent(db: DbHandle, access: Access, scope: Scope, row: ComponentRow): Promise<void> {
  const change = changeOfRow('delete', access, scope, row);
  await checkComponentChange(db, change);
  await db.deleteFrom('components').where('id', '=', row.id).execute();
  await componentChanged(db, change);
}

export function componentConfig(row: ComponentRow): FormValues {
  return JSON.parse(row.vars) as FormValues;
}

export interface MigrateInput {
  destination_project_canonical?: string;
  destination_environment_canonical?: string;
  destination_component_canonical?: string;
  destination_component_name?: string;
}

export interface MigratePlan extends Prepared {
  destination: Scope;
  name: string;
}

/**
 * Where a migration goes, checked: the destination project and environment exist (default: where the
 * component is), the caller may create components there, the canonical is free there and it is a
 * different place. Then the files are rendered for the new place and committed to the destination
 * project's config repository.
 */
export async function prepareMigrate(
  db: DbHandle,
  git: WriteDeps,
  access: Access,
  scope: Scope,
  row: ComponentRow,
  input: MigrateInput,
  findScope: (project: string, environment: string) => Promise<Scope | string>,
): Promise<MigratePlan> {
  const projectCanonical = input.destination_project_canonical ?? scope.project.canonical;
  const environmentCanonical = input.destination_environment_canonical ?? scope.environment.canonical;
  const destination = await findScope(projectCanonical, environmentCanonical);
  if (typeof destination === 'string') throw unprocessable(destination);
  const canonical = input.destination_component_canonical ?? row.canonical;
  const name = input.destination_component_name ?? row.name;
  if (destination.environment.id === scope.environment.id && canonical === row.canonical) {
    throw unprocessable('destination_environment_canonical: the component is already there under that canonical');
  }
  demand(
    access,
    'organization:project:environment:component:create',
    [destination.project.canonical, destination.environment.canonical, canonical],
    destination.project.owner_user_id,
  );
  await demandFreeCanonical(db, access, destination, canonical);
  await demandRoomForLegacy(db, destination, row.stack_version, row.id);
  await checkComponentChange(db, migration(access, scope, row, destination, canonical));
  const stack = await stackOfComponent(db, row);
  const place = placeOf(destination, canonical, name);
  const commit = await commitFiles(
    db,
    git,
    access,
    destination.project,
    stack,
    place,
    row.use_case,
    componentConfig(row),
    `Move component ${row.canonical} of project ${scope.project.canonical}, environment ${scope.environment.canonical} to ${placeTitle(place)}`,
  );
  return { canonical, stack, commit, destination, name };
}

/** A migration as listeners see it: the component at its destination, and where it was. */
function migration(access: Access, from: Scope, row: ComponentRow, to: Scope, canonical: string): ComponentChange {
  return {
    ...changeOfRow('migrate', access, to, row),
    component: canonical,
    from: { project: from.project.canonical, environment: from.environment.canonical, component: row.canonical },
  };
}

export async function migrateComponent(
  db: DbHandle,
  access: Access,
  scope: Scope,
  row: ComponentRow,
  plan: MigratePlan,
): Promise<ComponentView> {
  await demandFreeCanonical(db, access, plan.destination, plan.canonical);
  await demandRoomForLegacy(db, plan.destination, row.stack_version, row.id);
  await db
    .updateTable('components')
    .set({
      project_id: plan.destination.project.id,
      environment_id: plan.destination.environment.id,
      canonical: plan.canonical,
      name: plan.name,
      updated_at: nowSeconds(),
    })
    .where('id', '=', row.id)
    .execute();
  await componentChanged(db, migration(access, scope, row, plan.destination, plan.canonical));
  return presentOne(db, access, row.id);
}
