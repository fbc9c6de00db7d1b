// Tokens of HCL native syntax (Terraform files) with their byte ranges, for editing in place: every
// character of the source belongs to exactly one token, so untouched text is copied as it was.

export type TokenKind =
  | 'space'
  | 'newline'
  | 'comment'
  | 'ident'
  | 'number'
  | 'string'
  | 'heredoc'
  | 'open'
  | 'close'
  | 'punct';

export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  text: string;
}

export class HclError extends Error {
  override name = 'HclError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const OPEN = '{[(';
const CLOSE = '}])';
const TWO_CHAR = ['==', '!=', '<=', '>=', '&&', '||', '=>', '...'];

function lineOf(src: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < src.length; i++) if (src.charCodeAt(i) === 10) line++;
  return line;
}

// Character classes by code: the tokenizer runs once per sample and edit batch, over every byte.
const isDigit = (c: string) => c >= '0' && c <= '9';
const isIdentStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isIdentPart = (c: string) => isIdentStart(c) || isDigit(c) || c === '-';

/** Splits HCL source into tokens covering it entirely. Throws HclError on unterminated text. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number) => {
    out.push({ kind, start: i, end, text: src.slice(i, end) });
    i = end;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') push('newline', i + 1);
    else if (c === '\r' && src[i + 1] === '\n') push('newline', i + 2);
    else if (c === ' ' || c === '\t' || c === '\r') {
      let j = i;
      while (j < src.length && (src[j] === ' ' || src[j] === '\t' || (src[j] === '\r' && src[j + 1] !== '\n'))) j++;
      push('space', j);
    } else if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      let j = i;
      while (j < src.length && src[j] !== '\n' && !(src[j] === '\r' && src[j + 1] === '\n')) j++;
      push('comment', j);
    } else if (c === '/' && src[i + 1] === '*') {
      const j = src.indexOf('*/', i + 2);
      if (j < 0) throw new HclError('unterminated /* comment', lineOf(src, i));
      push('comment', j + 2);
    } else if (c === '"') push('string', scanString(src, i));
    else if (c === '<' && src[i + 1] === '<' && /[-A-Za-z_]/.test(src[i + 2] ?? ''))
      push('heredoc', scanHeredoc(src, i));
    else if (OPEN.includes(c)) push('open', i + 1);
    else if (CLOSE.includes(c)) push('close', i + 1);
    else if (isIdentStart(c)) {
      let j = i + 1;
      while (j < src.length && isIdentPart(src[j]!)) j++;
      push('ident', j);
    } else if (isDigit(c)) {
      let j = i + 1;
      while (j < src.length && (isDigit(src[j]!) || src[j] === '.' || src[j] === 'e' || src[j] === 'E')) {
        if ((src[j] === 'e' || src[j] === 'E') && (src[j + 1] === '+' || src[j + 1] === '-')) j++;
        j++;
      }
      push('number', j);
    } else {
      const op = TWO_CHAR.find((o) => src.startsWith(o, i));
      push('punct', i + (op ? op.length : 1));
    }
  }
  return out;
}

/** End (exclusive) of the quoted template starting at `start`, `${ }` and `%{ }` sequences included. */
function scanString(src: string, start: number): number {
  let i = start + 1;
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else if (c === '\n') break;
    else if ((c === '$' || c === '%') && src[i + 1] === '{') i = scanInterpolation(src, i + 2);
    else if ((c === '$' || c === '%') && src[i + 1] === c && src[i + 2] === '{') i += 3;
    else i++;
  }
  throw new HclError('unterminated string', lineOf(src, start));
}

/** Skips a template sequence's expression up to its closing `}`; strings inside it nest. */
function scanInterpolation(src: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < src.length) {
    const c = src[i];
    if (c === '"') i = scanString(src, i);
    else if (c === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      if (depth === 0) return i + 1;
      depth--;
      i++;
    } else i++;
  }
  throw new HclError('unterminated template sequence', lineOf(src, from));
}

function scanHeredoc(src: string, start: number): number {
  let i = start + 2;
  if (src[i] === '-') i++;
  const nameStart = i;
  while (i < src.length && isIdentPart(src[i]!)) i++;
  const name = src.slice(nameStart, i);
  const eol = src.indexOf('\n', i);
  if (name === '' || eol < 0) throw new HclError('unterminated heredoc', lineOf(src, start));
  let lineStart = eol + 1;
  while (lineStart <= src.length) {
    let lineEnd = src.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = src.length;
    if (src.slice(lineStart, lineEnd).trim() === name) return lineEnd;
    if (lineEnd === src.length) break;
    lineStart = lineEnd + 1;
  }
  throw new HclError(`heredoc <<${name} is never closed`, lineOf(src, start));
}

/** Checks that brackets balance; throws HclError at the first one that does not. */
export function checkBalanced(tokens: readonly Token[], src: string): void {
  const stack: Token[] = [];
  for (const t of tokens) {
    if (t.kind === 'open') stack.push(t);
    else if (t.kind === 'close') {
      const open = stack.pop();
      if (!open || OPEN.indexOf(open.text) !== CLOSE.indexOf(t.text)) {
        throw new HclError(`unexpected "${t.text}"`, lineOf(src, t.start));
      }
    }
  }
  const last = stack.pop();
  if (last) throw new HclError(`"${last.text}" is never closed`, lineOf(src, last.start));
}
