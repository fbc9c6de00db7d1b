import type { components } from '../../generated/contract.js';
import { isSet } from '../../platform/db/columns.js';
import { presentOwner } from '../../platform/ownership/present.js';
import { compact } from '../members/present.js';
import type { SourceRow, StackRow } from './repo.js';

export type StackView = components['schemas']['ServiceCatalog'];
export type SourceView = components['schemas']['ServiceCatalogSource'];
export type ChangesView = components['schemas']['ServiceCatalogChanges'];

/** Display names of the cloud providers use cases name (CloudProvider.name). */
const PROVIDER_NAMES: Record<string, string> = {
  aws: 'Amazon Web Services',
  google: 'Google Cloud Platform',
  azurerm: 'Microsoft Azure',
  flexibleengine: 'Flexible Engine',
  openstack: 'OpenStack',
  scaleway: 'Scaleway',
  vmware: 'VMware',
  ovh: 'OVH',
  alibaba: 'Alibaba Cloud',
  oracle: 'Oracle Cloud',
  vsphere: 'vSphere',
  kubernetes: 'Kubernetes',
};

/** The newest stack engine version: stacks on it are `latest`. */
export const LATEST_STACK_VERSION = '4';

export const stackRef = (organizationCanonical: string, canonical: string) => `${organizationCanonical}:${canonical}`;

export function presentStack(row: StackRow): StackView {
  const providers = JSON.parse(row.cloud_providers) as string[];
  return compact({
    id: row.id,
    ref: stackRef(row.organization_canonical, row.canonical),
    canonical: row.canonical,
    name: row.name,
    author: row.author,
    description: row.description,
    keywords: JSON.parse(row.keywords),
    image: row.image,
    technologies: JSON.parse(row.technologies),
    dependencies: JSON.parse(row.dependencies),
    directory: row.directory,
    readme: row.readme ?? undefined,
    form_enabled: isSet(row.form_enabled),
    quota_enabled: isSet(row.quota_enabled),
    blueprint: isSet(row.blueprint),
    cloud_providers: providers.map((canonical) => ({ canonical, name: PROVIDER_NAMES[canonical] ?? canonical })),
    organization_canonical: row.organization_canonical,
    service_catalog_source_canonical: row.source_canonical,
    // Stacks of the root organization are the platform's own.
    trusted: row.organization_parent_id === null,
    team:
      row.team_id !== null && row.team_canonical !== null
        ? {
            id: row.team_id,
            canonical: row.team_canonical,
            name: row.team_name!,
            created_at: row.team_created_at!,
            updated_at: row.team_updated_at!,
          }
        : undefined,
    visibility: row.visibility,
    version: row.version,
    latest: row.version === LATEST_STACK_VERSION,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }) as StackView;
}

export function presentSource(row: SourceRow, extra: { stacks?: StackRow[]; changes?: ChangesView } = {}): SourceView {
  return compact({
    id: row.id,
    canonical: row.canonical,
    name: row.name,
    url: row.url,
    branch: row.branch,
    credential_canonical: row.credential_canonical,
    owner: presentOwner(row),
    stack_count: Number(row.stack_count ?? 0),
    refreshed_at: row.refreshed_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
    service_catalogs: extra.stacks?.map(presentStack),
    changes: extra.changes,
  }) as SourceView;
}
