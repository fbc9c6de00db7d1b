import type { components } from '../../generated/contract.js';
import { presentStack } from '../catalog/present.js';
import type { StackRow } from '../catalog/repo.js';
import { compact } from '../members/present.js';
import { CLOUD_PROVIDERS } from '../projects/cloud-providers.js';
import type { ComponentRow } from './repo.js';

export type ComponentView = components['schemas']['Component'];
type StackView = components['schemas']['ServiceCatalog'];

/**
 * A stack a catalog refresh dropped: the component still names it by its ref, with nothing else known
 * (the contract requires the object).
 */
function droppedStack(ref: string): StackView {
  const [organization = '', canonical = ref] = ref.split(':');
  return {
    id: 0,
    ref,
    canonical,
    name: canonical,
    author: '',
    description: 'This stack is no longer in its catalog repository.',
    directory: '',
    keywords: [],
    form_enabled: false,
    quota_enabled: false,
    latest: false,
    trusted: false,
    version: '',
    visibility: 'hidden',
    organization_canonical: organization,
  } as StackView;
}

export function presentComponent(row: ComponentRow, stack: StackRow | undefined): ComponentView {
  return compact({
    id: row.id,
    canonical: row.canonical,
    name: row.name,
    description: row.description,
    use_case: row.use_case,
    cloud_provider: CLOUD_PROVIDERS.find((p) => p.canonical === row.cloud_provider),
    environment: {
      id: row.environment_id,
      canonical: row.environment_canonical,
      name: row.environment_name,
      color: row.environment_color,
      created_at: row.environment_created_at,
      updated_at: row.environment_updated_at,
    },
    project: {
      id: row.project_id,
      canonical: row.project_canonical,
      name: row.project_name,
      description: row.project_description,
      created_at: row.project_created_at,
      updated_at: row.project_updated_at,
    },
    service_catalog: stack ? presentStack(stack) : droppedStack(row.stack_ref),
    created_at: row.created_at,
    updated_at: row.updated_at,
  });
}
