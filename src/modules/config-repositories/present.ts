import type { components } from '../../generated/contract.js';
import { isSet } from '../../platform/db/columns.js';
import type { ConfigRepositoryRow } from './repo.js';

export type ConfigRepositoryView = components['schemas']['ConfigRepository'];

export function presentConfigRepository(row: ConfigRepositoryRow): ConfigRepositoryView {
  return {
    id: row.id,
    canonical: row.canonical,
    name: row.name,
    url: row.url,
    branch: row.branch,
    credential_canonical: row.credential_canonical,
    default: isSet(row.is_default),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
