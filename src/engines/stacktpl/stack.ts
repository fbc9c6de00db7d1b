// Rendering of stack files as Cycloid's stack engine does it: the `.cycloid.yml` version picks fixed
// token substitution (v1, v2) or a Go template with `($ $)` delimiters (v3, v4).

import { configRootOf, type StackContext, stackTemplateData } from './context.js';
import { TemplateError } from './errors.js';
import type { Budgets, MissingKey, TemplateWarning } from './exec.js';
import { location } from './nodes.js';
import { Template } from './template.js';
import type { GoMap } from './values.js';

export const STACK_LEFT_DELIM = '($';
export const STACK_RIGHT_DELIM = '$)';

export type StackVersion = 1 | 2 | 3 | 4;

/** Reads `.cycloid.yml`'s `version`: missing means 1; '2', "2" and 2 are the same. */
export function parseStackVersion(v: unknown): StackVersion {
  if (v === undefined || v === null || v === '') return 1;
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  if (s === '1' || s === '2' || s === '3' || s === '4') return Number(s) as StackVersion;
  throw new Error(`invalid stack version ${JSON.stringify(v)}: expected 1, 2, 3 or 4`);
}

export interface RenderStackOptions {
  version: unknown;
  context: StackContext;
  /** Name shown in errors and warnings (the file's path, usually). */
  name?: string;
  /** More variables for v3+ templates; they override the context's. */
  extraData?: GoMap;
  /** Gantry renders a missing key as nothing and warns (`empty`); `zero` gives Go's `<no value>`. */
  missingKey?: MissingKey;
  budgets?: Partial<Budgets>;
}

export interface RenderStackResult {
  output: string;
  warnings: TemplateWarning[];
}

/**
 * Offset from which the text is emitted literally: the start of a line holding `($` with no `$)`
 * anywhere after it (the unclosed `($` of a shell `($(date))`, say). An unclosed `($` that a later
 * line closes starts a multi-line action instead.
 */
export function literalTailStart(text: string): number | undefined {
  let offset = 0;
  let pendingStart: number | undefined;
  for (const line of text.split('\n')) {
    if (pendingStart === undefined) {
      if (line.includes(STACK_LEFT_DELIM) && !line.includes(STACK_RIGHT_DELIM)) pendingStart = offset;
    } else if (line.includes(STACK_RIGHT_DELIM)) {
      pendingStart = undefined;
    }
    offset += line.length + 1;
  }
  return pendingStart;
}

const INVENTORY_JWT_REF = /\(\$\s*\.?\s*inventory_jwt\s*\$\)/;

function tokenRegex(name: string): RegExp {
  return new RegExp(`\\(\\$[\\t\\n\\f\\r ]*${name}[\\t\\n\\f\\r ]*\\$\\)`, 'g');
}

/** v1/v2 tokens, in the order they are replaced. */
const LEGACY_TOKENS: Array<[string, (c: StackContext) => string | undefined]> = [
  ['organization_canonical', (c) => c.organization],
  ['project', (c) => c.project],
  ['project_owner_canonical', (c) => c.projectOwner],
  ['project_owner_name', (c) => c.projectOwnerName],
  ['project_owner_surname', (c) => c.projectOwnerSurname],
  ['project_owner_email', (c) => c.projectOwnerEmail],
  ['environment', (c) => c.environment],
  ['scs_url', (c) => c.catalogRepositoryUrl],
  ['scs_branch', (c) => c.catalogRepositoryBranch],
  ['scs_cred_type', (c) => c.catalogRepositoryCredentialType],
  ['scs_cred_path', (c) => c.catalogRepositoryCredentialPath],
  ['stack_path', (c) => c.stackPath],
  ['cr_url', (c) => c.configRepositoryUrl],
  ['cr_branch', (c) => c.configRepositoryBranch],
  ['cr_cred_type', (c) => c.configRepositoryCredentialType],
  ['cr_cred_path', (c) => c.configRepositoryCredentialPath],
  ['inventory_jwt', (c) => c.inventoryJwt],
  ['api_url', (c) => c.apiUrl],
  ['console_url', (c) => c.consoleUrl],
  ['use_case', (c) => c.useCase],
  ['component', (c) => c.component],
];
const LEGACY_REGEXES = LEGACY_TOKENS.map(([name, get]) => [name, tokenRegex(name), get] as const);

function warningAt(name: string, text: string, pos: number, message: string): TemplateWarning {
  const { line, column } = location({ text, parseName: name }, pos);
  return { message, template: name, line, column };
}

function renderLegacy(head: string, ctx: StackContext, name: string): RenderStackResult {
  let out = head;
  for (const [, re, get] of LEGACY_REGEXES) {
    const value = get(ctx);
    if (value) out = out.replace(re, () => value);
  }
  const warnings: TemplateWarning[] = [];
  for (const [token, re, get] of LEGACY_REGEXES) {
    if (get(ctx)) continue;
    re.lastIndex = 0;
    const m = re.exec(head);
    if (m)
      warnings.push(warningAt(name, head, m.index, `no value for ${JSON.stringify(token)}; the token is left as is`));
  }
  return { output: out, warnings };
}

const FUNCTION_NOT_DEFINED = /function "([^"]*)" not defined/;

/**
 * Renders one stack file (a destination, a sample, a pipeline, a `.forms.yml`) as raw text, before
 * any YAML parsing. Throws TemplateError (with line and column) when the template cannot be rendered.
 */
export function renderStackFile(text: string, options: RenderStackOptions): RenderStackResult {
  const version = parseStackVersion(options.version);
  const name = options.name ?? 'stack';
  const literalFrom = literalTailStart(text);
  const head = literalFrom === undefined ? text : text.slice(0, literalFrom);
  const tail = literalFrom === undefined ? '' : text.slice(literalFrom);
  const ctx: StackContext = { ...options.context, configRoot: configRootOf(options.context) };

  let jwt = ctx.inventoryJwt ?? '';
  const extraJwt = options.extraData?.inventory_jwt;
  if (!jwt && version >= 3 && typeof extraJwt === 'string') jwt = extraJwt;
  const ref = jwt ? null : INVENTORY_JWT_REF.exec(head);
  if (ref) {
    const { line, column } = location({ text, parseName: name }, ref.index);
    throw new TemplateError(
      `template: ${name}:${line}:${column}: inventory_jwt is referenced by the template but is not available — ` +
        'configure an external backend providing a JWT (purpose remote_tfstate) at the organization, project, ' +
        'environment or component scope',
      'exec',
      name,
      line,
      column,
    );
  }

  if (version < 3) {
    const r = renderLegacy(head, ctx, name);
    return { output: r.output + tail, warnings: r.warnings };
  }

  const data = stackTemplateData(ctx);
  for (const [k, v] of Object.entries(options.extraData ?? {})) data[k] = v;
  const tmpl = new Template(name, {
    delims: [STACK_LEFT_DELIM, STACK_RIGHT_DELIM],
    missingKey: options.missingKey ?? 'empty',
    budgets: options.budgets,
  });
  try {
    tmpl.parse(text, { literalFrom });
  } catch (e) {
    const m = e instanceof TemplateError ? FUNCTION_NOT_DEFINED.exec(e.message) : null;
    if (e instanceof TemplateError && m) {
      throw new TemplateError(
        `${e.message} (did you mean ".${m[1]}", a variable?)`,
        e.kind,
        e.template,
        e.line,
        e.column,
      );
    }
    throw e;
  }
  return tmpl.execute(data);
}
