// Rendering a stack for a place: the pure part of getServiceCatalogConfig, interpolateFormsConfig and
// component writes. No database, no HTTP: the stack arrives as plain data, so the same code runs on a
// render worker (render-task.ts) and in `gantry stack render` (commands/stack-render.ts).
import {
  FormsBudgetError,
  FormsError,
  type FormsFile,
  type FormUseCase,
  type FormValues,
  interpolate,
  loadFormsText,
  type Samples,
  validateForms,
  withCurrentValues,
} from '../../engines/forms/index.js';
import {
  BlueprintError,
  type BlueprintVariables,
  type PathDestination,
  parseStackDefinition,
  renderBlueprint,
  repositoryPath,
  STACK_MARKERS,
  StackFileError,
  type UseCase,
} from '../../engines/stacks/index.js';
import { renderStackFile, type StackContext, TemplateError } from '../../engines/stacktpl/index.js';
import type { components } from '../../generated/contract.js';
import { linearRegExp } from '../../platform/text/linear-regexp.js';
import { cachedStackForms, useCaseForm } from './stack-forms.js';

type ConfigsView = components['schemas']['ServiceCatalogConfigs'];
type ConfigView = components['schemas']['ServiceCatalogConfig'];
type PathDestView = components['schemas']['SCConfigPathDestConfig'];
type TechView = components['schemas']['SCConfigTechConfig'];

/** A stack as indexed (repo.ts stackContent), its JSON columns still text: parsed where it renders. */
export interface StackData {
  /** `<organization>:<canonical>`, for messages. */
  ref: string;
  canonical: string;
  version: string;
  directory: string;
  /** JSON of UseCase[]. */
  useCases: string;
  /** JSON of the stack's files by repository path. */
  files: string;
  forms: string | null;
}

/**
 * A failure the caller answers with a 422: the message is the response's, `details` its details.
 * Its fields are plain, so it crosses from a worker intact (platform/compute/worker.ts).
 */
export class RenderFailure extends Error {
  /** JSON of the details (a worker passes only scalar fields). */
  readonly details: string;
  constructor(message: string, details: string[] = []) {
    super(message);
    this.name = 'RenderFailure';
    this.details = JSON.stringify(details);
  }
}

export interface ConfigsRequest {
  stack: StackData;
  /** The templating context of the place (no use case: each use case adds its own). */
  context: StackContext;
  /** Whether destinations and contents are rendered (a place was given), or returned as written. */
  placed: boolean;
  /** One use case (already known to exist), or all of them. */
  useCase?: string;
}

/**
 * The use cases of a stack with the content of each file they name, rendered for the place when there
 * is one (notes §3). Forms: the stored `.forms.yml` loaded with the place's context gives each use case
 * its `forms`; a broken forms file leaves `forms` out.
 */
export function renderConfigs(req: ConfigsRequest): ConfigsView {
  const useCases = JSON.parse(req.stack.useCases) as UseCase[];
  const files = JSON.parse(req.stack.files) as Record<string, string>;
  const chosen = req.useCase === undefined ? useCases : useCases.filter((u) => u.key === req.useCase);
  const forms = req.stack.forms ? cachedStackForms(req.stack.forms, req.stack.version, req.context).forms : undefined;
  const out: ConfigsView = {};
  for (const useCase of chosen) out[useCase.key] = useCaseConfig(req, files, useCase, forms);
  return out;
}

function useCaseConfig(
  req: ConfigsRequest,
  files: Record<string, string>,
  useCase: UseCase,
  forms: FormsFile | undefined,
): ConfigView {
  const { stack, placed } = req;
  const context: StackContext = { ...req.context, useCase: useCase.key };
  const render = (text: string, name: string) => (placed ? renderText(text, name, stack.version, context) : text);
  const fileOf = (path: string): { path: string; content: string } => {
    const full = repositoryPath(stack.directory, path);
    return { path, content: render((full && files[full]) ?? '', full ?? path) };
  };
  const withDestination = (entry: PathDestination | undefined): PathDestView => ({
    ...fileOf(entry?.path ?? ''),
    destination: render(entry?.destination ?? '', `${useCase.key} destination`),
  });
  const tech = (name: string) => {
    const entries = useCase.files[name];
    if (!entries) return undefined;
    return Object.fromEntries(Object.entries(entries).map(([key, entry]) => [key, withDestination(entry)]));
  };
  const config: ConfigView = {
    name: useCase.name,
    description: useCase.description,
    cloud_provider: useCase.cloudProvider,
    pipeline: { pipeline: fileOf(useCase.pipeline ?? ''), variables: withDestination(useCase.variables) },
  };
  const form = useCaseForm(forms, useCase.key);
  if (form) config.forms = form as ConfigView['forms'];
  const terraform = tech('terraform');
  const ansible = tech('ansible');
  if (terraform) config.terraform = terraform;
  if (ansible) config.ansible = ansible;
  return config;
}

function renderText(text: string, name: string, version: string, context: StackContext): string {
  if (text === '') return text;
  try {
    return renderStackFile(text, { version, context, name }).output;
  } catch (error) {
    if (error instanceof TemplateError) throw new RenderFailure(`${name}: ${error.message}`);
    throw error;
  }
}

export interface InterpolateRequest {
  stack: StackData;
  context: StackContext;
  useCase: string;
  vars: FormValues;
}

/**
 * interpolateFormsConfig: the use case rendered for its place, then the form's values written into the
 * samples by the StackForms engine. Nothing is stored.
 */
export function renderInterpolated(req: InterpolateRequest): ConfigView {
  const ref = req.stack.ref;
  const config = renderConfigs({ ...req, placed: true })[req.useCase];
  if (!config) throw new RenderFailure(`use_case: stack '${ref}' has no use case '${req.useCase}'`);
  if (!config.forms) {
    throw new RenderFailure(`use_case: stack '${ref}' has no usable form for '${req.useCase}': ${whyNoForm(req)}`);
  }
  const forms: FormsFile = { version: '3', use_cases: [config.forms as FormsFile['use_cases'][number]] };
  let result: ReturnType<typeof interpolate>;
  try {
    result = interpolate(forms, req.useCase, req.vars, { samples: samplesOf(config), compileRegExp: linearRegExp });
  } catch (e) {
    // A sample that cannot be edited, or output past its budget: the stack's problem, named.
    if (e instanceof FormsError) throw new RenderFailure(`service_catalog_ref: ${e.message}`);
    throw e;
  }
  if (result.errors.length > 0) throw new RenderFailure(result.errors[0]!, result.errors);
  config.pipeline.variables.content = result.files.variables;
  writeBack(config.terraform, result.files.terraform);
  writeBack(config.ansible, result.files.ansible);
  return config;
}

/** Why a use case has no form at this place: no file, a file that fails here, or no form of that name. */
function whyNoForm(req: InterpolateRequest): string {
  if (!req.stack.forms?.trim()) return 'the stack has no .forms.yml';
  const loaded = cachedStackForms(req.stack.forms, req.stack.version, req.context);
  if (loaded.problem) return `its .forms.yml cannot be used here: ${loaded.problem}`;
  return `its .forms.yml has no use case named '${req.useCase}'`;
}

/** The already placed samples: files a use case names but the stack lacks are left out. */
function samplesOf(config: ConfigView): Samples {
  const pick = (tech: TechView | undefined) =>
    Object.fromEntries(
      Object.entries(tech ?? {})
        .filter(([, entry]) => entry.path !== '')
        .map(([k, e]) => [k, e.content]),
    );
  return {
    variables: config.pipeline.variables.content,
    terraform: pick(config.terraform),
    ansible: pick(config.ansible),
  };
}

function writeBack(tech: TechView | undefined, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) if (tech?.[name]) tech[name].content = content;
}

/** One file a component writes: `destination` as rendered (not yet checked), `source` the stack's path. */
export interface DestinationFile {
  destination: string;
  source: string;
  content: string;
}

/**
 * The files a component writes to its config repository (stackforms.md §7): the use case's samples
 * rendered as stack templates for the place, then the form values written in. The FULL variable set
 * is checked against the use case's form first: unknown key, missing required value or wrong type is
 * a failure naming the key, and nothing is rendered. A stack without forms takes no values and writes
 * its samples as rendered. Entries without a destination (the pipeline template) are not written.
 */
export function renderComponentDestinations(req: InterpolateRequest): DestinationFile[] {
  const { stack, useCase, vars } = req;
  // The forms are loaded below with the use case in their context: not once more for the config.
  const config = renderConfigs({ stack: { ...stack, forms: null }, context: req.context, placed: true, useCase })[
    useCase
  ];
  if (!config) throw new RenderFailure(`use_case: stack '${stack.canonical}' has no use case '${useCase}'`);
  const destinations: { entry: PathDestView; file: (files: Required<Samples>) => string }[] = [];
  const samples: Required<Samples> = { variables: config.pipeline.variables.content, terraform: {}, ansible: {} };
  destinations.push({ entry: config.pipeline.variables, file: (f) => f.variables });
  for (const tech of ['terraform', 'ansible'] as const) {
    for (const [name, entry] of Object.entries(config[tech] ?? {})) {
      samples[tech][name] = entry.content;
      destinations.push({ entry, file: (f) => f[tech][name] ?? '' });
    }
  }

  let files = samples;
  if (stack.forms) {
    const forms = loadStrictForms(stack.forms, stack.version, { ...req.context, useCase });
    files = interpolateValues(forms, useCase, vars, samples);
  } else if (Object.keys(vars).length > 0) {
    throw new RenderFailure(`vars: stack '${stack.canonical}' has no form, so it takes no values`);
  }
  return destinations
    .filter((d) => d.entry.destination.trim() !== '')
    .map((d) => ({ destination: d.entry.destination.trim(), source: d.entry.path, content: d.file(files) }));
}

function loadStrictForms(text: string, version: string, context: StackContext): FormsFile {
  let checked: ReturnType<typeof validateForms>;
  try {
    const loaded = loadFormsText(text, { stackVersion: version, context, name: '.forms.yml' });
    checked = validateForms(loaded.file, { compileRegExp: linearRegExp });
  } catch (error) {
    throw asFailure(error, 'service_catalog_ref: .forms.yml');
  }
  if (checked.errors.length > 0) {
    throw new RenderFailure(
      `service_catalog_ref: the stack's .forms.yml is not valid: ${checked.errors[0]}`,
      checked.errors,
    );
  }
  return checked.forms;
}

function interpolateValues(
  forms: FormsFile,
  useCase: string,
  vars: FormValues,
  samples: Required<Samples>,
): Required<Samples> {
  let result: ReturnType<typeof interpolate>;
  try {
    result = interpolate(forms, useCase, vars, { samples, compileRegExp: linearRegExp });
  } catch (error) {
    throw asFailure(error, 'vars');
  }
  if (result.errors.length > 0) throw new RenderFailure(result.errors.join('; '), result.errors);
  return result.files;
}

/** Forms engine failures are the stack's or the values' fault, never the server's. */
function asFailure(error: unknown, field: string): unknown {
  if (error instanceof FormsBudgetError || error instanceof FormsError) {
    return new RenderFailure(`${field}: ${error.message}`);
  }
  return error;
}

export interface CurrentValuesRequest {
  form: FormUseCase;
  saved: FormValues;
  files?: Required<Samples>;
}

/** A component's form with each var's `current` (or `mismatch_values`): stackforms.md. */
export function currentValues(req: CurrentValuesRequest): FormUseCase {
  return withCurrentValues(req.form, req.saved, req.files);
}

export interface BlueprintRequest {
  /** The blueprint's files; their bytes arrive from another thread as plain Uint8Arrays. */
  files: { path: string; content: Uint8Array }[];
  variables: BlueprintVariables;
  rename: { name: string; canonical: string };
}

/** Bytes as a Buffer without copying (structured cloning between threads drops the Buffer type). */
export const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * createServiceCatalogFromTemplate's rendering (engines/stacks/blueprint.ts), run on a render worker:
 * the `($> <$)` layer over the blueprint's files, then the new `.cycloid.yml` read back as a stack. A
 * failure of either is a RenderFailure (422) naming the file.
 */
export function renderBlueprintFiles(req: BlueprintRequest): {
  files: { path: string; content: Uint8Array }[];
  warnings: string[];
} {
  const warnings: string[] = [];
  let files: { path: string; content: Buffer }[];
  try {
    files = renderBlueprint(
      req.files.map((f) => ({ path: f.path, content: asBuffer(f.content) })),
      req.variables,
      req.rename,
      { warnings },
    );
  } catch (error) {
    if (error instanceof BlueprintError) throw new RenderFailure(`blueprint: ${error.message}`);
    throw error;
  }
  const marker = files.find((f) => STACK_MARKERS.includes(f.path));
  if (marker) {
    try {
      parseStackDefinition(marker.content.toString('utf8'), marker.path);
    } catch (error) {
      if (error instanceof StackFileError) throw new RenderFailure(`blueprint: ${error.message} (after rendering)`);
      throw error;
    }
  }
  return { files, warnings };
}
