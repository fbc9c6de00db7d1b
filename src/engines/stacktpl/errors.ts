// Errors of the template engine. Messages follow Go's text/template wording; every error that comes
// from a place in a template carries its line (from 1) and column (bytes from 0, as Go counts them).

export type TemplateErrorKind = 'parse' | 'exec' | 'budget';

export class TemplateError extends Error {
  override name = 'TemplateError';
  constructor(
    message: string,
    readonly kind: TemplateErrorKind,
    readonly template: string,
    readonly line: number | null,
    readonly column: number | null,
  ) {
    super(message);
  }
}

/** Thrown by template functions to report an error result (Go's second return value). */
export class FuncError extends Error {
  override name = 'FuncError';
}

/** A budget was exceeded inside a function (for example, a string grew past the output budget). */
export class BudgetExceeded extends Error {
  override name = 'BudgetExceeded';
}
