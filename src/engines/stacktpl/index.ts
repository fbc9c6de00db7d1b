// Stack templating: a Go text/template engine and the Cycloid stack rendering built on it.

export { configRootOf, knownStackVariables, STACK_ALIASES, type StackContext, stackTemplateData } from './context.js';
export { BudgetExceeded, FuncError, TemplateError, type TemplateErrorKind } from './errors.js';
export {
  type Budgets,
  type CallContext,
  DEFAULT_BUDGETS,
  type MissingKey,
  type ParamType,
  type TemplateFunc,
  type TemplateWarning,
} from './exec.js';
export { formatValue, sprint, sprintf, sprintln } from './fmt.js';
export {
  literalTailStart,
  parseStackVersion,
  type RenderStackOptions,
  type RenderStackResult,
  renderStackFile,
  STACK_LEFT_DELIM,
  STACK_RIGHT_DELIM,
  type StackVersion,
} from './stack.js';
export { type RenderResult, renderTemplate, Template, type TemplateOptions } from './template.js';
export { fromJSON, GoComplex, type GoMap, type Value } from './values.js';
