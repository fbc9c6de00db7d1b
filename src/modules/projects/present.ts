import type { components } from '../../generated/contract.js';
import { presentOwner } from '../../platform/ownership/present.js';
import { compact } from '../members/present.js';
import type { EnvironmentRow, ProjectRow } from './repo.js';

export type ProjectView = components['schemas']['Project'];
export type EnvironmentView = components['schemas']['Environment'];

/** What a project's presentation needs beyond its row, for one project or a page (see loadProjectRelations). */
export interface ProjectRelations {
  environments: Map<number, EnvironmentRow[]>;
  /** The caller's favorites among these projects. */
  favorites: Set<number>;
}

export function presentEnvironment(row: EnvironmentRow): EnvironmentView {
  return {
    id: row.id,
    canonical: row.canonical,
    name: row.name,
    color: row.color,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function presentProject(row: ProjectRow, relations: ProjectRelations): ProjectView {
  return compact({
    id: row.id,
    canonical: row.canonical,
    name: row.name,
    description: row.description,
    color: row.color,
    icon: row.icon,
    config_repository_canonical: row.config_repository_canonical,
    environments: (relations.environments.get(row.id) ?? []).map(presentEnvironment),
    favorite: relations.favorites.has(row.id),
    owner: presentOwner(row),
    team:
      row.team_id !== null && row.team_canonical !== null
        ? {
            id: row.team_id,
            canonical: row.team_canonical,
            name: row.team_name ?? row.team_canonical,
            created_at: row.team_created_at ?? 0,
            updated_at: row.team_updated_at ?? 0,
          }
        : undefined,
    created_at: row.created_at,
    updated_at: row.updated_at,
  });
}
