import type { components } from '../../generated/contract.js';
import { isSet } from '../../platform/db/columns.js';
import type { ApiKeyWithOwner, StoredRule } from './repo.js';

export type ApiKeyWire = components['schemas']['APIKey'];
type UserWire = components['schemas']['User'];

function presentOwner(row: ApiKeyWithOwner): UserWire | undefined {
  if (row.owner_user_id === null || row.owner_username === null) return undefined;
  return {
    id: row.owner_user_id,
    username: row.owner_username,
    email: row.owner_email ?? '',
    given_name: row.owner_given_name ?? '',
    family_name: row.owner_family_name ?? '',
    locale: row.owner_locale ?? 'en',
    mfa_enabled: isSet(row.owner_mfa_enabled),
    created_at: row.owner_created_at ?? 0,
    ...(row.owner_updated_at !== null ? { updated_at: row.owner_updated_at } : {}),
    ...(row.owner_country_code ? { country_code: row.owner_country_code } : {}),
    ...(row.owner_picture_url ? { picture_url: row.owner_picture_url } : {}),
    ...(row.owner_last_login_at !== null ? { last_login_at: row.owner_last_login_at } : {}),
  };
}

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
    ...(token ? { token } : {}),
  };
}
