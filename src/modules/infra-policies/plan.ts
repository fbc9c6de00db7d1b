// Reading the `tfplan` string of a validation: the JSON of `terraform show -json <planfile>`. Pure (no
// I/O), and run on a compute worker: a plan can be tens of MB, too much to parse on the event loop.

export type PlanReading = { plan: Record<string, unknown> } | { problem: string };

/** Fields of which a plan has at least one; a state file (`terraform show -json` without a plan) has none. */
const PLAN_FIELDS = ['resource_changes', 'planned_values', 'configuration', 'prior_state'] as const;

const typeName = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value);
const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The plan, or what is wrong with the text in words a pipeline author can act on. Only the parts
 * policies rely on are checked (the format version and the shape of `resource_changes`); anything else
 * is passed to the policies as Terraform wrote it.
 */
export function readPlan(text: string): PlanReading {
  const hint = 'send the output of `terraform show -json <planfile>` as a string';
  if (text.trim() === '') return { problem: `tfplan: is empty; ${hint}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { problem: `tfplan: is not JSON (${(e as Error).message.slice(0, 200)}); ${hint}` };
  }
  if (!isObject(parsed)) return { problem: `tfplan: must be a JSON object, got ${typeName(parsed)}; ${hint}` };
  const version = parsed.format_version;
  if (typeof version !== 'string') {
    return { problem: `tfplan: has no format_version, so it is not a Terraform JSON plan; ${hint}` };
  }
  const major = /^(\d+)\.\d+$/.exec(version)?.[1];
  if (major === undefined || Number(major) > 1) {
    return { problem: `tfplan: format_version '${version.slice(0, 20)}' is not a supported plan format (0.x or 1.x)` };
  }
  if (!PLAN_FIELDS.some((field) => field in parsed)) {
    const what = 'values' in parsed ? 'a Terraform state, not a plan' : 'not a Terraform plan';
    return { problem: `tfplan: has none of ${PLAN_FIELDS.join(', ')}: it is ${what}; ${hint}` };
  }
  const problem = resourceChangesProblem(parsed.resource_changes);
  return problem ? { problem } : { plan: parsed };
}

/** The first malformed entry of `resource_changes`, named by its index. */
function resourceChangesProblem(changes: unknown): string | undefined {
  if (changes === undefined) return undefined;
  if (!Array.isArray(changes)) return `tfplan: resource_changes must be an array, got ${typeName(changes)}`;
  for (let i = 0; i < changes.length; i++) {
    const at = `tfplan: resource_changes[${i}]`;
    const item = changes[i];
    if (!isObject(item)) return `${at} must be an object, got ${typeName(item)}`;
    if (typeof item.address !== 'string') return `${at}.address must be a string`;
    if (typeof item.type !== 'string') return `${at}.type must be a string`;
    if (!isObject(item.change)) return `${at}.change must be an object`;
    const actions = item.change.actions;
    if (!Array.isArray(actions) || !actions.every((a) => typeof a === 'string')) {
      return `${at}.change.actions must be an array of strings`;
    }
  }
  return undefined;
}
