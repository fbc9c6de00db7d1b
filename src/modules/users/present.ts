import type { components } from '../../generated/contract.js';
import type { RuleSpec } from '../../platform/authz/rules.js';
import { isSet } from '../../platform/db/columns.js';
import { countries } from '../system/countries.js';
import type { UserRow } from './repo.js';

type UserAccount = components['schemas']['UserAccount'];
type Rule = components['schemas']['Rule'];
export type UserSession = components['schemas']['UserSession'];

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

export function countryName(code: string): string | undefined {
  return countries().find((c) => c.code === code)?.name;
}

/** This server keeps one address per account: it is the primary one. */
export function presentAccount(user: UserRow): UserAccount {
  const name = user.country_code ? countryName(user.country_code) : undefined;
  return {
    username: user.username,
    given_name: user.given_name,
    family_name: user.family_name,
    emails: [
      { email: user.email, purpose: 'primary', verified: isSet(user.email_verified), created_at: user.created_at },
    ],
    ...(user.country_code && name ? { country: { code: user.country_code, name } } : {}),
    locale: user.locale as UserAccount['locale'],
    ...(user.picture_url ? { picture_url: user.picture_url } : {}),
    mfa_enabled: isSet(user.mfa_enabled),
    ...(user.guide !== null ? { guide: JSON.parse(user.guide) } : {}),
    last_login: user.last_login_at ?? 0,
    created_at: user.created_at,
    updated_at: user.updated_at,
  };
}

/**
 * `UserSession.permissions` is keyed by action: rules of several roles with the same action merge
 * into one entry (unscoped wins over scoped). Merged entries come from several rows, so they carry
 * id 0, like rules generated on the fly.
 */
export function presentPermissions(rules: readonly RuleSpec[]): Record<string, Rule> {
  const byAction = new Map<string, Set<string> | 'all'>();
  for (const rule of rules) {
    const known = byAction.get(rule.action);
    if (known === 'all') continue;
    if (rule.resources.length === 0) byAction.set(rule.action, 'all');
    else byAction.set(rule.action, new Set([...(known ?? []), ...rule.resources]));
  }
  const permissions: Record<string, Rule> = {};
  for (const [action, resources] of [...byAction].sort(([a], [b]) => a.localeCompare(b))) {
    permissions[action] = { id: 0, action, effect: 'allow', resources: resources === 'all' ? [] : [...resources] };
  }
  return permissions;
}
