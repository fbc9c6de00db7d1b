import type { components } from '../../generated/contract.js';
import { presentOwner } from '../../platform/ownership/present.js';
import type { ApiKeyWithOwner, StoredRule } from './repo.js';

/** The contract's APIKey, with Gantry's `expires_at` extension (docs/api-keys.md). */
export type ApiKeyWire = components['schemas']['APIKey'] & { expires_at?: number };

/** The full token is only ever passed in right after creation; later reads show `last_seven` alone. */
export function presentApiKey(row: ApiKeyWithOwner, rules: StoredRule[], token?: string): ApiKeyWire {
  const owner = presentOwner(row);
  return {
    id: row.id,
    canonical: row.canonical,
    name: row.name,
    description: row.description,
    last_seven: row.last_seven,
    rules: rules.map((rule) => ({ id: rule.id, action: rule.action, effect: 'allow', resources: rule.resources })),
    ...(owner ? { owner } : {}),
    ...(row.last_used_at !== null ? { last_used: row.last_used_at } : {}),
    ...(row.expires_at !== null ? { expires_at: row.expires_at } : {}),
    ...(token ? { token } : {}),
  };
}
