// `gantry stack render DIR --use-case U [--vars FILE] [--org O --project P --env E --component C]`:
// renders a stack folder as the server renders a component's files on creation (the same function,
// catalog/stack-render.ts), and prints each file under its destination. Reads no configuration and
// opens no database.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type FormValues, GO_YAML_OPTIONS } from '../engines/forms/index.js';
import {
  FORMS_FILE,
  parseStackDefinition,
  referencedFiles,
  STACK_MARKERS,
  StackFileError,
} from '../engines/stacks/index.js';
import type { StackContext } from '../engines/stacktpl/index.js';
import {
  type DestinationFile,
  RenderFailure,
  renderComponentDestinations,
  type StackData,
} from '../modules/catalog/stack-render.js';
import { checkConfigPath } from '../modules/config-repositories/config-files.js';
import { AppError } from '../platform/errors.js';

export const STACK_RENDER_USAGE = `usage: gantry stack render DIR --use-case USE_CASE [--vars FILE] [--org ORG] [--project PROJECT]
                          [--env ENV] [--component COMPONENT] [--inventory-jwt TOKEN]

Renders the stack in DIR (its .cycloid.yml, .forms.yml and the files its use case names) as the
server renders a component's files: the use case's samples rendered as stack templates for the place,
then the form's values written in (the form's defaults where FILE gives none). FILE holds the values
as JSON or YAML, nested as the API takes them: {section: {group: {key: value}}}.
Each file is printed after a line "# --- <destination>". The place defaults to organization "org",
project "project", environment "env", component "component"; the remote-state token that
pipelines pass to Terraform (inventory_jwt) to "<inventory_jwt>".
Exit status: 0 rendered, 1 the stack or the values have an error (on stderr, with file, line and
column when known), 2 usage error.
`;

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const FLAGS = {
  '--use-case': 'useCase',
  '--vars': 'varsFile',
  '--org': 'org',
  '--project': 'project',
  '--env': 'env',
  '--component': 'component',
  '--inventory-jwt': 'inventoryJwt',
} as const;

type Options = {
  dir: string;
  useCase?: string;
  varsFile?: string;
  org: string;
  project: string;
  env: string;
  component: string;
  inventoryJwt: string;
};

function parseArgs(args: string[]): Options | string {
  const options: Partial<Options> = {};
  const dirs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-h' || a === '--help') return 'help';
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (Object.hasOwn(FLAGS, flag)) {
      const value = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (value === undefined || value === '') return `${flag} needs a value`;
      options[FLAGS[flag as keyof typeof FLAGS]] = value;
      continue;
    }
    if (a.startsWith('-')) return `unknown option ${a}`;
    dirs.push(a);
  }
  if (dirs.length !== 1) return dirs.length === 0 ? 'a stack DIR is needed' : 'only one DIR may be given';
  return {
    org: 'org',
    project: 'project',
    env: 'env',
    component: 'component',
    inventoryJwt: '<inventory_jwt>',
    ...options,
    dir: dirs[0]!,
  };
}

/** Fails with a message for stderr: the command exits 1. */
class Refused extends Error {}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR')
      return undefined;
    throw e;
  }
}

/** A stack folder read as the catalog indexes a stack (catalog/scan.ts): the folder is the stack's root. */
export async function readStackDirectory(dir: string): Promise<{ data: StackData; name: string }> {
  let marker: string | undefined;
  let text: string | undefined;
  for (const name of STACK_MARKERS) {
    text = await readText(join(dir, name));
    if (text !== undefined) {
      marker = name;
      break;
    }
  }
  if (text === undefined || marker === undefined) throw new Refused(`${dir}: no ${STACK_MARKERS.join(' or ')} here`);
  const { definition } = parseStackDefinition(text, marker);
  const files: Record<string, string> = {};
  for (const path of referencedFiles('/', definition)) {
    if (path === FORMS_FILE) continue;
    const content = await readText(join(dir, path));
    if (content !== undefined) files[path] = content;
  }
  const forms = (await readText(join(dir, FORMS_FILE))) ?? null;
  return {
    name: definition.name,
    data: {
      ref: `org:${definition.canonical}`,
      canonical: definition.canonical,
      version: definition.version,
      directory: '/',
      useCases: JSON.stringify(definition.useCases),
      files: JSON.stringify(files),
      forms,
    },
  };
}

async function readVars(path: string): Promise<FormValues> {
  const text = await readText(path);
  if (text === undefined) throw new Refused(`cannot read the values ${path}`);
  let vars: unknown;
  try {
    vars = JSON.parse(text);
  } catch {
    try {
      vars = parseYaml(text, { ...GO_YAML_OPTIONS, maxAliasCount: 100 });
    } catch (e) {
      throw new Refused(`${path}: neither JSON nor YAML: ${(e as Error).message}`);
    }
  }
  if (vars === null || vars === undefined) return {};
  if (typeof vars !== 'object' || Array.isArray(vars)) {
    throw new Refused(`${path}: the values must be a map of sections (section: group: key: value)`);
  }
  return vars as FormValues;
}

export async function stackRender(args: string[], io: Io): Promise<number> {
  const parsed = parseArgs(args);
  if (parsed === 'help') {
    io.stdout(STACK_RENDER_USAGE);
    return 0;
  }
  if (typeof parsed === 'string') {
    io.stderr(`gantry stack render: ${parsed}\n`);
    io.stderr(STACK_RENDER_USAGE);
    return 2;
  }
  try {
    const files = await render(parsed);
    for (const f of files) {
      io.stdout(`# --- ${f.destination}\n${f.content}${f.content === '' || f.content.endsWith('\n') ? '' : '\n'}`);
    }
    return 0;
  } catch (e) {
    // The stack's or the values' problems (a destination that is no repository path is an AppError).
    if (e instanceof Refused || e instanceof StackFileError || e instanceof RenderFailure || e instanceof AppError) {
      io.stderr(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

async function render(options: Options): Promise<DestinationFile[]> {
  const { data, name } = await readStackDirectory(options.dir);
  const useCases = (JSON.parse(data.useCases) as { key: string }[]).map((u) => u.key);
  const useCase = options.useCase ?? (useCases.length === 1 ? useCases[0] : undefined);
  if (useCase === undefined)
    throw new Refused(`--use-case is needed: the stack's use cases are ${useCases.join(', ')}`);
  if (!useCases.includes(useCase)) {
    throw new Refused(`use case '${useCase}' is not in the stack (use cases: ${useCases.join(', ')})`);
  }
  const vars = options.varsFile === undefined ? {} : await readVars(options.varsFile);
  const context: StackContext = {
    organization: options.org,
    organizationName: options.org,
    project: options.project,
    environment: options.env,
    component: options.component,
    componentName: options.component,
    stack: data.canonical,
    stackName: name,
    stackPath: '',
    inventoryJwt: options.inventoryJwt,
  };
  const files = renderComponentDestinations({
    stack: { ...data, ref: `${options.org}:${data.canonical}` },
    context,
    useCase,
    vars,
  });
  return files.map((f) => {
    const destination = f.destination.replace(/^\/+/, '');
    checkConfigPath(destination, `destination of '${f.source}'`);
    return { ...f, destination };
  });
}
