// StackForms: reading `.forms.yml` (both formats), validating it, and rendering form values into a
// use case's files. Pure: regular expressions are compiled by a function the caller gives (linear-time).

export { type FormVarWithCurrent, withCurrentValues } from './current.js';
export { FormsBudgetError, FormsError } from './errors.js';
export { conditionVariables, type Expr, evaluateCondition, parseCondition } from './expr.js';
export {
  type InterpolateContext,
  type InterpolateResult,
  interpolate,
  type Samples,
  setYamlKey,
} from './interpolate.js';
export { type LoadedForms, type LoadFormsOptions, loadFormsText } from './load.js';
export * from './model.js';
export { type Resolution, type ResolvedVar, resolveValues } from './resolve.js';
export { type RegExpCompiler, type ValidateOptions, type ValidationResult, validateForms } from './validate.js';
export { GO_YAML_OPTIONS, type ParsedYaml, parseGoYaml, type YamlWarning } from './yaml.js';
export { setYamlKeys } from './yaml-edit.js';
