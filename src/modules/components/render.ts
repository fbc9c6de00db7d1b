import {
  FormsBudgetError,
  FormsError,
  type FormsFile,
  type FormValues,
  interpolate,
  loadFormsText,
  type Samples,
  validateForms,
} from '../../engines/forms/index.js';
import type { UseCase } from '../../engines/stacks/index.js';
import type { StackContext } from '../../engines/stacktpl/index.js';
import type { components } from '../../generated/contract.js';
import type { Access } from '../../platform/authz/access.js';
import type { DbHandle } from '../../platform/db/database.js';
import { unprocessable } from '../../platform/errors.js';
import { linearRegExp } from '../../platform/text/linear-regexp.js';
import { type StackRow, sourceForTemplating, stackContent } from '../catalog/repo.js';
import { stackConfig, stackContextOf } from '../catalog/stack-config.js';
import { checkConfigPath } from '../config-repositories/config-files.js';

type PathDest = components['schemas']['SCConfigPathDestConfig'];

/** Where a component is (or is going): what the stack's `($ $)` templates and `config_root` see. */
export interface Place {
  project: string;
  environment: string;
  component: string;
  componentName: string;
}

export interface RenderedFile {
  path: string;
  content: string;
}

/**
 * The files a component writes to its config repository (stackforms.md §7): the use case's samples
 * rendered as stack templates for `place` (`config_root` = `<project>/<env>/<component>`), then the
 * form values written in. The FULL variable set is checked against the use case's form first: unknown
 * key, missing required value or wrong type is a 422 naming the key, and nothing is rendered. A stack
 * without forms takes no values and writes its samples as rendered. Entries without a destination
 * (the pipeline template) are not written.
 */
export async function renderComponentFiles(
  db: DbHandle,
  access: Access,
  stack: StackRow,
  place: Place,
  useCase: string,
  vars: FormValues,
): Promise<RenderedFile[]> {
  const content = await stackContent(db, stack.id);
  const useCases = JSON.parse(content.use_cases) as UseCase[];
  if (!useCases.some((u) => u.key === useCase)) {
    const known = useCases.map((u) => u.key).join(', ');
    throw unprocessable(`use_case: stack '${stack.canonical}' has no use case '${useCase}' (use cases: ${known})`);
  }
  const source = await sourceForTemplating(db, stack.source_id);
  const query = {
    use_case: useCase,
    project_canonical: place.project,
    environment_canonical: place.environment,
    component_canonical: place.component,
    component_name: place.componentName,
  };
  const config = (await stackConfig(db, access, stack, source, query))[useCase]!;
  const destinations: { entry: PathDest; file: (files: Required<Samples>) => string }[] = [];
  const samples: Required<Samples> = { variables: config.pipeline.variables.content, terraform: {}, ansible: {} };
  destinations.push({ entry: config.pipeline.variables, file: (f) => f.variables });
  for (const tech of ['terraform', 'ansible'] as const) {
    for (const [name, entry] of Object.entries(config[tech] ?? {})) {
      samples[tech][name] = entry.content;
      destinations.push({ entry, file: (f) => f[tech][name] ?? '' });
    }
  }

  let files = samples;
  if (content.forms) {
    const forms = loadStackForms(content.forms, content.version, {
      ...stackContextOf(access, stack, source, query),
      useCase,
    });
    files = interpolateValues(forms, useCase, vars, samples);
  } else if (Object.keys(vars).length > 0) {
    throw unprocessable(`vars: stack '${stack.canonical}' has no form, so it takes no values`);
  }
  return destinations
    .filter((d) => d.entry.destination.trim() !== '')
    .map((d) => {
      const path = d.entry.destination.trim().replace(/^\/+/, '');
      checkConfigPath(path, `service_catalog_ref: destination of '${d.entry.path}'`);
      return { path, content: d.file(files) };
    });
}

function loadStackForms(text: string, version: string, context: StackContext): FormsFile {
  try {
    const loaded = loadFormsText(text, { stackVersion: version, context, name: '.forms.yml' });
    const checked = validateForms(loaded.file, { compileRegExp: linearRegExp });
    if (checked.errors.length > 0) {
      throw unprocessable(
        `service_catalog_ref: the stack's .forms.yml is not valid: ${checked.errors[0]}`,
        checked.errors,
      );
    }
    return checked.forms;
  } catch (error) {
    throw asUnprocessable(error, 'service_catalog_ref: .forms.yml');
  }
}

function interpolateValues(
  forms: FormsFile,
  useCase: string,
  vars: FormValues,
  samples: Required<Samples>,
): Required<Samples> {
  try {
    const result = interpolate(forms, useCase, vars, { samples, compileRegExp: linearRegExp });
    if (result.errors.length > 0) throw unprocessable(result.errors.join('; '), result.errors);
    return result.files;
  } catch (error) {
    throw asUnprocessable(error, 'vars');
  }
}

/** Forms engine failures are the stack's or the values' fault, never the server's. */
function asUnprocessable(error: unknown, field: string): unknown {
  if (error instanceof FormsBudgetError) return unprocessable(`${field}: ${error.message}`);
  if (error instanceof FormsError) return unprocessable(`${field}: ${error.message}`);
  return error;
}
