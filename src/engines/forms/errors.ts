// Errors of the forms engine: a file or a value that cannot be used, and a budget that ran out.

/** A forms file, an expression or a value the engine cannot use; the message names where. */
export class FormsError extends Error {
  override name = 'FormsError';
}

/** Rendering or evaluation went past one of its budgets (steps, output size). */
export class FormsBudgetError extends FormsError {
  override name = 'FormsBudgetError';
}
