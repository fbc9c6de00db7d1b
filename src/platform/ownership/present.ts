import type { components } from '../../generated/contract.js';
import { isSet } from '../db/columns.js';

/** The owner's user columns, as repositories select them beside an owned entity (`owner_*`). */
export interface OwnerColumns {
  owner_user_id: number | null;
  owner_username: string | null;
  owner_email: string | null;
  owner_given_name: string | null;
  owner_family_name: string | null;
  owner_locale: string | null;
  owner_mfa_enabled: number | null;
  owner_picture_url: string | null;
  owner_country_code: string | null;
  owner_last_login_at: number | null;
  owner_created_at: number | null;
  owner_updated_at: number | null;
}

/** Select these beside an owned entity, joined as `users as owner`, to present its owner. */
export const OWNER_COLUMNS = [
  'owner.username as owner_username',
  'owner.email as owner_email',
  'owner.given_name as owner_given_name',
  'owner.family_name as owner_family_name',
  'owner.locale as owner_locale',
  'owner.country_code as owner_country_code',
  'owner.picture_url as owner_picture_url',
  'owner.mfa_enabled as owner_mfa_enabled',
  'owner.last_login_at as owner_last_login_at',
  'owner.created_at as owner_created_at',
  'owner.updated_at as owner_updated_at',
] as const;

/** The `User` object of an entity's owner; absent when the entity has none (e.g. the owner was deleted). */
export function presentOwner(row: OwnerColumns): components['schemas']['User'] | undefined {
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
