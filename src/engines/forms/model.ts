// The normalized forms tree (the contract's FormsFileV3) and the vocabulary of the format.

/**
 * Where a group's values go. `terragrunt`, `custom` and `templating` files are written by the stack's
 * own tooling (the config repository keeps the values); this engine edits pipeline variables,
 * Terraform and Ansible samples and leaves the others as they are.
 */
export const TECHNOLOGIES = ['pipeline', 'terraform', 'ansible', 'terragrunt', 'custom', 'templating'] as const;
export type Technology = (typeof TECHNOLOGIES)[number];

/**
 * `raw` is not in the v6 model, but older public stacks declare it for HCL expressions given as text
 * (security group rules): it is accepted and its value is written as it stands.
 */
export const VAR_TYPES = ['integer', 'float', 'string', 'array', 'boolean', 'map', 'raw'] as const;
export type VarType = (typeof VAR_TYPES)[number];

export const WIDGETS = [
  'auto_complete',
  'dropdown',
  'radios',
  'slider_list',
  'slider_range',
  'number',
  'simple_text',
  'switch',
  'text_area',
  'cy_cred',
  'cy_scs',
  'cy_crs',
  'cy_branch',
  'cy_inventory_resource',
  'hidden',
] as const;
export type Widget = (typeof WIDGETS)[number];

const ANY: readonly VarType[] = VAR_TYPES;
const TEXT: readonly VarType[] = ['string'];
const NUMBERS: readonly VarType[] = ['integer', 'float'];

/**
 * Types each widget can edit: what public stacks use, widened where the widget obviously fits. An
 * `array` on a pick widget is a multiple choice (`widget_config.multiselect`); `radios` over
 * `{label, value}` choices is `map` like a dropdown; inventory pickers may keep several resources or
 * a numeric attribute; a text area is read as YAML, so it can give any type.
 */
export const WIDGET_TYPES: Record<Widget, readonly VarType[]> = {
  auto_complete: ['string', 'integer', 'float'],
  dropdown: ['string', 'integer', 'float', 'map', 'array'],
  radios: ['string', 'integer', 'float', 'boolean', 'map'],
  slider_list: ['string', 'integer', 'float', 'map'],
  slider_range: NUMBERS,
  number: NUMBERS,
  simple_text: ['string', 'integer', 'float', 'array'],
  switch: ['boolean'],
  text_area: ANY,
  cy_cred: TEXT,
  cy_scs: TEXT,
  cy_crs: TEXT,
  cy_branch: TEXT,
  cy_inventory_resource: ['string', 'integer', 'float', 'array'],
  hidden: ANY,
};

/** Widgets whose value is one of `values` (or of what `values_ref` returns). */
export const PICK_WIDGETS: ReadonlySet<Widget> = new Set(['dropdown', 'radios', 'slider_list']);

/** A pick widget holding a list: each element is one of the choices (a multiple-choice dropdown). */
export function isMultiPick(v: Pick<FormVar, 'widget' | 'type'>): boolean {
  return v.type === 'array' && PICK_WIDGETS.has(v.widget);
}

/**
 * A rule of `validations`: a regexp on text values, or `array: {min_elems, max_elems}` on the number
 * of elements of a list value (seen on multiple inventory pickers).
 */
export interface Validation {
  regexp?: string;
  array?: { min_elems?: number; max_elems?: number };
  error_message?: string;
}

/** A variable of the form (FormEntity); attributes the model does not know are kept as they came. */
export interface FormVar {
  name: string;
  key: string;
  widget: Widget;
  type: VarType;
  description?: string;
  default?: unknown;
  values?: unknown;
  values_ref?: string;
  required?: boolean;
  unit?: string;
  validations?: Validation[];
  widget_config?: Record<string, unknown>;
  source?: string;
  depends_on?: string[];
  folded?: boolean;
  quota_config?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface FormGroup {
  name: string;
  technologies: Technology[];
  condition?: string;
  folded?: boolean;
  vars: FormVar[];
}

export interface FormSection {
  name: string;
  groups: FormGroup[];
}

export interface FormUseCase {
  name: string;
  sections: FormSection[];
}

export interface FormsFile {
  version: string;
  use_cases: FormUseCase[];
}

/** Input values: section name -> group name -> var key -> value (the contract's FormVariables). */
export type FormValues = Record<string, Record<string, Record<string, unknown>>>;

/** A `{options: [...]}` dynamic default or values list. */
export interface DynamicOption {
  name?: string;
  condition: string;
  default?: unknown;
  values?: unknown[];
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{options: [...]}` in place of a static default or values list. */
export function dynamicOptions(v: unknown): DynamicOption[] | undefined {
  if (isPlainObject(v) && Array.isArray(v.options) && Object.keys(v).length === 1) {
    return v.options as DynamicOption[];
  }
  return undefined;
}
