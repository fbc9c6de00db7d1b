import type { components } from '../../generated/contract.js';
import type { RuleSpec } from '../../platform/authz/rules.js';
import { isSet } from '../../platform/db/columns.js';
import { countries } from '../system/countries.js';
import type { UserRow } from './repo.js';

type UserAccount = components['schemas']['UserAccount'];
type Rule = components['schemas']['Rule'];
export type UserSession = components['schemas']['UserSession'];

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
