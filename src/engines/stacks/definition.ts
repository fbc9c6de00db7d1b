// A stack's `.cycloid.yml` read into the fields the API exposes (stacks-and-catalogs.md §2). Real
// catalogs are untidy: scalars where lists belong, technology keys nobody documented, v1 layouts
// without use cases. What can be read is kept; only what makes a stack unusable is an error.

import { parseStackVersion } from '../stacktpl/index.js';
import { type FileProblem, isRecord, readGoYaml, StackFileError } from './yaml.js';

/** The contract's canonical pattern (ServiceCatalog.canonical). */
const CANONICAL = /^[a-z0-9]+[a-z0-9\-_]+[a-z0-9]+$/;
const MAX_CANONICAL = 100;
/** Longest name and author a stack may have (what the catalog stores for them). */
export const MAX_STACK_TEXT = 500;

export interface PathDestination {
  path: string;
  destination: string;
}

export interface UseCase {
  /** The key under `config:` (what components and forms refer to). */
  key: string;
  name: string;
  description: string;
  cloudProvider: string;
  pipeline?: string;
  variables?: PathDestination;
  /** Per technology (`terraform`, `ansible`, and any other key), named file entries. */
  files: Record<string, Record<string, PathDestination>>;
}

export interface StackDefinition {
  /** Engine version as a string, `'1'` when the file has none. */
  version: string;
  name: string;
  canonical: string;
  author: string;
  description: string;
  keywords: string[];
  image?: string;
  technologies: { technology?: string; version?: string }[];
  dependencies: { ref?: string; required?: boolean }[];
  blueprint: boolean;
  /** `quota: true` in the file (pairs with a form's quota configuration). */
  quota: boolean;
  useCases: UseCase[];
}

export interface ParsedStack {
  definition: StackDefinition;
  warnings: FileProblem[];
}

const USE_CASE_FIELDS = new Set(['name', 'description', 'cloud_provider', 'pipeline']);
/** Technology keys a v1 file puts straight under `config:` (no use cases). */
const V1_KEYS = ['pipeline', 'terraform', 'ansible'];

/** Reads one `.cycloid.yml`; throws StackFileError (file, line, reason) when it cannot describe a stack. */
export function parseStackDefinition(text: string, file: string): ParsedStack {
  const { value, texts, warnings, keyLines } = readGoYaml(text, file);
  // Reasons start with the field they are about: its line is where the problem is reported.
  const fail = (reason: string): never => {
    const line = keyLines.get(reason.split(':')[0]!.split('.')[0]!);
    throw new StackFileError({ file, ...(line ? { line } : {}), reason });
  };
  if (!isRecord(value) || !isRecord(texts)) return fail('the file must be a YAML mapping of stack fields');
  // Text fields as yaml.v2 fills Go strings (`version: 1.10` stays "1.10"); flags from the typed tree.
  const typed = value;
  const doc = texts;
  const warn = (reason: string) => {
    const line = keyLines.get(reason.split(':')[0]!.split('.')[0]!);
    warnings.push({ file, ...(line ? { line } : {}), reason });
  };

  let version: string;
  try {
    version = String(parseStackVersion(typed.version));
  } catch (error) {
    return fail(`version: ${(error as Error).message}`);
  }
  const canonical = scalar(doc.canonical);
  if (!canonical) fail('canonical: missing (every stack needs a canonical)');
  if (canonical!.length > MAX_CANONICAL || !CANONICAL.test(canonical!)) {
    fail(`canonical: '${canonical!.slice(0, MAX_CANONICAL)}' is not a canonical (lowercase letters, digits, - and _)`);
  }
  let name = scalar(doc.name);
  if (!name) {
    warn('name: missing; the canonical is used');
    name = canonical!;
  }
  const author = scalar(doc.author) ?? '';
  for (const [field, text] of [
    ['name', name],
    ['author', author],
  ] as const) {
    if (text!.length > MAX_STACK_TEXT)
      fail(`${field}: ${text!.length} characters; at most ${MAX_STACK_TEXT} are allowed`);
  }
  const image = scalar(doc.image)?.trim();
  return {
    definition: {
      version,
      name,
      canonical: canonical!,
      author,
      description: scalar(doc.description) ?? '',
      keywords: stringList(doc.keywords, 'keywords', warn),
      ...(image ? { image } : {}),
      technologies: records(doc.technologies, 'technologies', warn).map((t) =>
        dropUndefined({ technology: scalar(t.technology), version: scalar(t.version) }),
      ),
      // A dependency is `{ref, required}`; some catalogs list bare refs.
      dependencies: records(bareRefs(typed.dependencies), 'dependencies', warn).map((d) =>
        dropUndefined({ ref: scalar(d.ref), required: typeof d.required === 'boolean' ? d.required : undefined }),
      ),
      blueprint: typed.template === true,
      quota: typed.quota === true,
      useCases: readUseCases(doc.config, fail, warn),
    },
    warnings,
  };
}

function readUseCases(config: unknown, fail: (reason: string) => never, warn: (reason: string) => void): UseCase[] {
  // An empty `config:` is a stack without use cases.
  if (config === undefined || config === null) return [];
  if (!isRecord(config)) return fail('config: must be a mapping of use cases');
  if (isV1Layout(config)) return [readUseCase('default', { name: 'default', ...config }, warn)];
  const out: UseCase[] = [];
  for (const [key, body] of Object.entries(config)) {
    if (!isRecord(body)) {
      warn(`config.${key}: not a mapping; the use case is skipped`);
      continue;
    }
    out.push(readUseCase(key, body, warn));
  }
  return out;
}

/** v1 files put `pipeline:`/`terraform:`/`ansible:` directly under `config:`: one use case, `default`. */
function isV1Layout(config: Record<string, unknown>): boolean {
  const pipeline = config.pipeline;
  return (
    isRecord(pipeline) &&
    (isRecord(pipeline.pipeline) || isRecord(pipeline.variables)) &&
    Object.keys(config).every((key) => V1_KEYS.includes(key))
  );
}

function readUseCase(key: string, body: Record<string, unknown>, warn: (reason: string) => void): UseCase {
  const useCase: UseCase = {
    key,
    name: scalar(body.name) ?? key,
    description: scalar(body.description) ?? '',
    cloudProvider: scalar(body.cloud_provider) ?? '',
    files: {},
  };
  const pipeline = body.pipeline;
  if (isRecord(pipeline)) {
    if (isRecord(pipeline.pipeline)) useCase.pipeline = scalar(pipeline.pipeline.path);
    if (isRecord(pipeline.variables)) useCase.variables = pathDestination(pipeline.variables);
  }
  for (const [tech, entries] of Object.entries(body)) {
    if (USE_CASE_FIELDS.has(tech)) continue;
    if (!isRecord(entries)) {
      warn(`config.${key}.${tech}: not a mapping of files; ignored`);
      continue;
    }
    // A mis-indented entry (`main: {path, destination}` at use-case level) is one file of its own.
    const named = typeof entries.path === 'string' ? { [tech]: entries } : entries;
    const files: Record<string, PathDestination> = {};
    for (const [name, entry] of Object.entries(named)) {
      if (isRecord(entry) && typeof entry.path === 'string') files[name] = pathDestination(entry);
    }
    useCase.files[tech] = files;
  }
  return useCase;
}

function pathDestination(entry: Record<string, unknown>): PathDestination {
  return { path: scalar(entry.path) ?? '', destination: scalar(entry.destination) ?? '' };
}

/** A YAML scalar as the string Go would unmarshal into a string field (numbers and booleans too). */
function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function stringList(value: unknown, field: string, warn: (reason: string) => void): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const item of items) {
    const text = scalar(item);
    if (text === undefined) warn(`${field}: an entry that is not text is ignored`);
    else out.push(text);
  }
  return out;
}

function records(value: unknown, field: string, warn: (reason: string) => void): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    warn(`${field}: not a list; ignored`);
    return [];
  }
  const out = value.filter(isRecord);
  if (out.length < value.length) warn(`${field}: entries that are not mappings are ignored`);
  return out;
}

function bareRefs(value: unknown): unknown {
  return Array.isArray(value) ? value.map((d) => (typeof d === 'string' ? { ref: d } : d)) : value;
}

function dropUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}
