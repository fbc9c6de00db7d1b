import type { Access } from './access.js';
import { globMatches } from './glob.js';

/**
 * The canonicals of a list the caller may see with `action`: 'all' when one of its rules covers the
 * action without resource scoping (the common case, so the list stays one SQL query), otherwise the
 * candidates the enforcement engine itself (`Access.can`) accepts one by one. The list query is then
 * narrowed to those canonicals, so paging and counting still happen in SQL.
 */
export async function permittedCanonicals(
  access: Access,
  action: string,
  candidates: () => Promise<string[]>,
): Promise<'all' | string[]> {
  if (access.rules.some((rule) => rule.resources.length === 0 && globMatches(rule.action, action))) return 'all';
  return (await candidates()).filter((canonical) => access.can(action, [canonical]));
}
