// Blueprints: stacks marked `template: true` that new stacks are made from (stacks-and-catalogs.md §6).
// The files a new stack takes, the second template layer (`($>` `<$)`, Go text/template) rendered over
// them, and the new stack's `.cycloid.yml` renamed. Pure: the caller reads and commits the files.

import { setYamlKeys } from '../forms/yaml-edit.js';
import { type Budgets, DEFAULT_BUDGETS, Template, TemplateError } from '../stacktpl/index.js';
import { FORMS_FILE, README_FILE, STACK_MARKERS } from './catalog.js';

/** Delimiters of the blueprint layer: they clash neither with `($ $)` (components) nor `{{ }}` (Ansible). */
export const BLUEPRINT_DELIMS: [string, string] = ['($>', '<$)'];

/** What a blueprint's templates see; every key is always set (possibly to ''). */
export interface BlueprintVariables {
  stack_usecase: string;
  stack_author: string;
  stack_canonical: string;
  stack_path: string;
  scs_canonical: string;
  scs_cred_path: string;
  scs_cred_type: string;
  api_url: string;
}

export interface BlueprintLimits {
  /** Files a new stack may take from a blueprint. */
  maxFiles: number;
  /** Bytes of those files, all together. */
  maxInputBytes: number;
  /** Shared by every file of one rendering: a hostile blueprint cannot multiply them by its file count. */
  budgets: Budgets;
}

export const BLUEPRINT_LIMITS: BlueprintLimits = {
  maxFiles: 1000,
  maxInputBytes: 16 * 1024 * 1024,
  budgets: DEFAULT_BUDGETS,
};

/** Folders whose files (directly inside) every new stack takes, whatever its use case. */
const TECHNOLOGY_FOLDERS = ['terraform', 'pipeline', 'ansible'];

/** A blueprint that cannot make a stack: the message names the file, and the line and column when known. */
export class BlueprintError extends Error {
  override name = 'BlueprintError';
}

export interface BlueprintFile {
  /** Relative to the stack folder. */
  path: string;
  content: Buffer;
}

/**
 * The paths (relative to the blueprint's folder) a new stack takes for `useCase`: its stack marker,
 * `.forms.yml` and `README.md`; every file directly under `terraform/`, `pipeline/` and `ansible/`; and
 * every file inside a folder named after the use case, at any depth (`terraform/aws/module/main.tf`
 * for `aws`, not `terraform/gcp/aws-migration.tf`).
 */
export function blueprintFiles(paths: readonly string[], useCase: string): string[] {
  const present = new Set(paths);
  const marker = STACK_MARKERS.find((m) => present.has(m));
  return paths
    .filter((path) => {
      if (path === marker || path === FORMS_FILE || path === README_FILE) return true;
      const folders = path.split('/').slice(0, -1);
      if (folders.length === 1 && TECHNOLOGY_FOLDERS.includes(folders[0]!)) return true;
      return folders.includes(useCase);
    })
    .sort();
}

/** `{% ... %}` blocks, or `{{ stack_author }}`-style variables of the blueprint layer. */
const JINJA = /\{%|\{\{-?\s*(?:stack_|scs_|api_url)/;

/**
 * Where a file uses the Jinja (pongo2) dialect older blueprints were written in: this server renders
 * the `($> <$)` layer only, and a `{% if %}` left in a stack file would break it later.
 */
export function jinjaDialect(text: string): { line: number; column: number } | undefined {
  const match = JINJA.exec(text);
  if (!match) return undefined;
  const before = text.slice(0, match.index);
  const line = before.split('\n').length;
  return { line, column: match.index - (before.lastIndexOf('\n') + 1) };
}

/**
 * Renders the blueprint layer over every file (binary files are copied as they are) and gives the
 * stack marker the new name and canonical, with `template: false`. `($ $)` placeholders are left for
 * components. A variable that is not set renders empty, as in stack templates, and is reported in
 * `options.warnings` (`file:line:column: message`). Throws BlueprintError naming the file (and line and
 * column) that fails.
 */
export function renderBlueprint(
  files: readonly BlueprintFile[],
  variables: BlueprintVariables,
  rename: { name: string; canonical: string },
  options: { limits?: BlueprintLimits; warnings?: string[] } = {},
): BlueprintFile[] {
  const { limits = BLUEPRINT_LIMITS, warnings = [] } = options;
  if (files.length > limits.maxFiles) {
    throw new BlueprintError(`the blueprint has ${files.length} files to copy; at most ${limits.maxFiles} are allowed`);
  }
  const bytes = files.reduce((n, f) => n + f.content.length, 0);
  if (bytes > limits.maxInputBytes) {
    throw new BlueprintError(`the blueprint's files hold ${bytes} bytes; at most ${limits.maxInputBytes} are allowed`);
  }
  let steps = limits.budgets.maxSteps;
  let output = limits.budgets.maxOutputBytes;
  const out: BlueprintFile[] = [];
  for (const file of files) {
    if (file.content.includes(0)) {
      out.push(file);
      continue;
    }
    const text = file.content.toString('utf8');
    const marker = STACK_MARKERS.includes(file.path);
    if (marker || file.path === FORMS_FILE) {
      const at = jinjaDialect(text);
      if (at) {
        throw new BlueprintError(
          `${file.path}:${at.line}:${at.column}: Jinja/pongo2 syntax ('{% %}' or '{{ stack_… }}') is not supported; blueprints use ($> <$) (Go templates)`,
        );
      }
    }
    const budgets = { ...limits.budgets, maxSteps: steps, maxOutputBytes: output };
    let rendered: string;
    try {
      const template = new Template(file.path, { delims: BLUEPRINT_DELIMS, missingKey: 'empty', budgets });
      const result = template.parse(text).execute({ ...variables });
      rendered = result.output;
      for (const w of result.warnings) warnings.push(`${file.path}:${w.line}:${w.column}: ${w.message}`);
      steps -= result.steps;
      output -= Buffer.byteLength(rendered);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      const shared =
        error.kind === 'budget'
          ? ` (the budgets are shared by all the blueprint's files: ${limits.budgets.maxSteps} steps, ${limits.budgets.maxOutputBytes} bytes)`
          : '';
      throw new BlueprintError(`${error.message.replace(/^template: /, '')}${shared}`);
    }
    out.push({ path: file.path, content: Buffer.from(marker ? renameStack(rendered, file.path, rename) : rendered) });
  }
  return out;
}

/** The marker with the new stack's name and canonical and `template: false`; comments and layout kept. */
function renameStack(text: string, path: string, rename: { name: string; canonical: string }): string {
  try {
    return setYamlKeys(
      text,
      [
        ['name', rename.name],
        ['canonical', rename.canonical],
        ['template', false],
      ],
      path,
    );
  } catch (error) {
    throw new BlueprintError(`${(error as Error).message} (after rendering)`);
  }
}
