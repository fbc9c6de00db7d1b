import { randomBytes } from 'node:crypto';

/** The contract's canonical pattern for organizations, teams, roles, API keys, projects... */
export const CANONICAL = /^[a-z0-9]+[a-z0-9\-_]+[a-z0-9]+$/;

/**
 * Derives a canonical from a name when a create omits it: lowercase ASCII, dashes for everything else,
 * at most 100 characters. Names too short to make one get a random suffix.
 */
export function canonicalFromName(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+/, '')
    .slice(0, 100)
    .replace(/[-_]+$/, '');
  return CANONICAL.test(slug) ? slug : `${slug || 'item'}-${randomBytes(2).toString('hex')}`;
}
