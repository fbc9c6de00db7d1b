// Every failure the engine reports: a message and, when known, where in which file it happened.

export type RegoErrorKind = 'parse' | 'compile' | 'eval' | 'limit';

export class RegoError extends Error {
  readonly kind: RegoErrorKind;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The message without its location prefix. */
  readonly detail: string;
  constructor(kind: RegoErrorKind, message: string, loc?: Loc) {
    super(loc && loc.line > 0 ? `${loc.file}:${loc.line}:${loc.column}: ${message}` : message);
    this.name = 'RegoError';
    this.kind = kind;
    this.file = loc?.file ?? '';
    this.line = loc?.line ?? 0;
    this.column = loc?.column ?? 0;
    this.detail = message;
  }
}

export interface Loc {
  file: string;
  line: number;
  column: number;
}

export const NO_LOC: Loc = { file: '', line: 0, column: 0 };
