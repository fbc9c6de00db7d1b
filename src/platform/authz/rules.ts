import { globMatches } from './glob.js';

/** An allow rule: an action glob, limited to resource globs (none = every entity of the kind). */
export interface RuleSpec {
  action: string;
  resources: string[];
}

/**
 * The resource path an action applies to: canonicals are inserted after each entity word of the
 * action code. `organization:project:environment:read` with org `acme` and entities `[shop, prod]`
 * gives `organization:acme:project:shop:environment:prod`. Collection-level actions (create, list)
 * carry fewer canonicals and stop at the collection: `organization:acme:project`.
 */
export function resourcePath(action: string, organization: string, entities: readonly string[]): string {
  const words = action.split(':').slice(0, -1);
  const canonicals = [organization, ...entities];
  const parts: string[] = [];
  words.forEach((word, index) => {
    parts.push(word);
    if (index < canonicals.length && canonicals[index] !== undefined) parts.push(canonicals[index]);
  });
  return parts.join(':');
}

export function ruleAllows(rule: RuleSpec, action: string, path: string): boolean {
  if (!globMatches(rule.action, action)) return false;
  return rule.resources.length === 0 || rule.resources.some((resource) => globMatches(resource, path));
}

/** Permissions only add up: any one matching rule allows. */
export function rulesAllow(rules: readonly RuleSpec[], action: string, path: string): boolean {
  for (const rule of rules) if (ruleAllows(rule, action, path)) return true;
  return false;
}

/**
 * Whether `granted` rules cover every right of `requested` (API keys may not exceed their creator).
 * A requested glob is read as literal text against the granted globs: `organization:**` covers
 * `organization:team:*`, but `organization:team:*` does not cover `organization:**`.
 */
export function rulesCover(granted: readonly RuleSpec[], requested: RuleSpec): boolean {
  return granted.some((rule) => {
    if (!globMatches(rule.action, requested.action)) return false;
    if (rule.resources.length === 0) return true;
    if (requested.resources.length === 0) return false;
    return requested.resources.every((resource) => rule.resources.some((mine) => globMatches(mine, resource)));
  });
}
