import { globMatches, globProblem } from '../../platform/authz/glob.js';
import { actionGlobMatchesSomething, isKnownAction } from '../../platform/authz/policies.js';
import type { RuleSpec } from '../../platform/authz/rules.js';
import { unprocessable } from '../../platform/errors.js';

/** A rule as clients send it (`NewRule`). */
export interface RuleInput {
  action: string;
  effect: string;
  resources?: string[];
}

export const MAX_RULES = 500;
export const MAX_RESOURCES_PER_RULE = 500;
const MAX_RESOURCE_LENGTH = 500;

const ENTITY_WORD = /^[a-z_*]+$/;
const CANONICAL_GLOB = /^[a-z0-9_*-]+$/;

/** Why an action is refused, or undefined when it is a known code or a glob over at least one. */
export function actionProblem(action: string): string | undefined {
  if (action.includes('*')) {
    const shape = globProblem(action);
    if (shape) return shape;
    return actionGlobMatchesSomething(action, globMatches) ? undefined : 'matches no known action code';
  }
  return isKnownAction(action) ? undefined : 'is not a known action code';
}

/**
 * Why a resource path is refused, or undefined. A resource names entities of this organization only:
 * `organization:<org>` then alternating entity words and canonicals (globs allowed inside a segment),
 * with `**` allowed as the last segment for "everything below".
 */
export function resourceProblem(resource: string, organization: string): string | undefined {
  if (resource.length > MAX_RESOURCE_LENGTH) return `is longer than ${MAX_RESOURCE_LENGTH} characters`;
  const shape = globProblem(resource);
  if (shape) return shape;
  const segments = resource.split(':');
  if (segments[0] !== 'organization' || segments[1] !== organization) {
    return `must start with 'organization:${organization}'`;
  }
  for (let index = 2; index < segments.length; index++) {
    const segment = segments[index];
    if (segment === '**') {
      if (index !== segments.length - 1) return "may use '**' only as its last segment";
      continue;
    }
    const word = index % 2 === 0;
    if (!(word ? ENTITY_WORD : CANONICAL_GLOB).test(segment)) {
      return `has an invalid ${word ? 'entity word' : 'canonical'} '${segment}' (segment ${index + 1})`;
    }
  }
  return undefined;
}

/**
 * Checks client rules for one organization and returns them normalized; every problem is reported at
 * once (422), each naming the rule and the value.
 */
export function validateRules(rules: readonly RuleInput[], organization: string): RuleSpec[] {
  if (rules.length > MAX_RULES) throw unprocessable(`rules: at most ${MAX_RULES} rules are allowed`);
  const problems: string[] = [];
  rules.forEach((rule, index) => {
    const at = `rules[${index}]`;
    const actionIssue = actionProblem(rule.action);
    if (actionIssue)
      problems.push(`${at}.action: '${rule.action}' ${actionIssue} (see GET /organizations/{org}/policies)`);
    if (rule.effect !== 'allow') problems.push(`${at}.effect: only 'allow' is supported`);
    const resources = rule.resources ?? [];
    if (resources.length > MAX_RESOURCES_PER_RULE) {
      problems.push(`${at}.resources: at most ${MAX_RESOURCES_PER_RULE} resources are allowed`);
    }
    resources.forEach((resource, r) => {
      const issue = resourceProblem(resource, organization);
      if (issue) problems.push(`${at}.resources[${r}]: '${resource}' ${issue}`);
    });
  });
  if (problems.length > 0) throw unprocessable(problems[0], problems);
  return rules.map((rule) => ({ action: rule.action, resources: [...new Set(rule.resources ?? [])] }));
}
