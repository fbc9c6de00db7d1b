// The lexer of Go's text/template (src/text/template/parse/lex.go), written for JavaScript strings.
// Items carry the UTF-16 offset where they start; line and column are computed from it when needed.

export enum Item {
  Error = 0,
  Bool,
  Char,
  CharConstant,
  Comment,
  Complex,
  Assign,
  Declare,
  EOF,
  Field,
  Identifier,
  LeftDelim,
  LeftParen,
  Number,
  Pipe,
  RawString,
  RightDelim,
  RightParen,
  Space,
  String,
  Text,
  Variable,
  // Keywords come after all the rest.
  Keyword,
  Block,
  Break,
  Continue,
  Dot,
  Define,
  Else,
  End,
  If,
  Nil,
  Range,
  Template,
  With,
}

const keywords: Record<string, Item> = {
  '.': Item.Dot,
  block: Item.Block,
  break: Item.Break,
  continue: Item.Continue,
  define: Item.Define,
  else: Item.Else,
  end: Item.End,
  if: Item.If,
  range: Item.Range,
  nil: Item.Nil,
  template: Item.Template,
  with: Item.With,
};

export interface Token {
  type: Item;
  val: string;
  pos: number;
}

export interface LexOptions {
  leftDelim: string;
  rightDelim: string;
  /** Text from this offset on is plain text: no action starts there (unclosed delimiters). */
  literalFrom?: number;
  /** Whether {{break}} and {{continue}} are keywords (inside a range). Decided by the parser. */
}

const LEFT_COMMENT = '/*';
const RIGHT_COMMENT = '*/';
const TRIM_MARKER = '-';
const TRIM_MARKER_LEN = 2; // the marker plus one space

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const ALNUM = /^[\p{L}\p{Nd}_]$/u;
export const isAlphaNumeric = (c: string | undefined) => c !== undefined && (c === '_' || ALNUM.test(c));

function hasLeftTrimMarker(s: string, at: number): boolean {
  return s.length - at >= 2 && s[at] === TRIM_MARKER && isSpace(s[at + 1]);
}

function hasRightTrimMarker(s: string, at: number): boolean {
  return s.length - at >= 2 && isSpace(s[at]) && s[at + 1] === TRIM_MARKER;
}

function rightTrimLength(s: string): number {
  let n = 0;
  while (n < s.length && isSpace(s[s.length - 1 - n])) n++;
  return n;
}

function leftTrimLength(s: string, at: number): number {
  let n = 0;
  while (at + n < s.length && isSpace(s[at + n])) n++;
  return n;
}

/** Formats a character the way Go's %#U verb does, for error messages. */
export function goRuneDescription(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return /[\p{C}]/u.test(c) ? `U+${hex}` : `U+${hex} '${c}'`;
}

/** Lexes the whole input eagerly. The token stream ends with an EOF or an Error token. */
export function lex(input: string, options: LexOptions): Token[] {
  const leftDelim = options.leftDelim || '{{';
  const rightDelim = options.rightDelim || '}}';
  const literalFrom = options.literalFrom ?? input.length;
  const items: Token[] = [];
  let start = 0;
  let pos = 0;
  let parenDepth = 0;
  let done = false;

  const emit = (type: Item) => {
    items.push({ type, val: input.slice(start, pos), pos: start });
    start = pos;
  };
  const errorf = (message: string) => {
    items.push({ type: Item.Error, val: message, pos: start });
    done = true;
  };
  const next = (): string | undefined => {
    if (pos >= input.length) {
      pos++; // so that backup() works after EOF
      return undefined;
    }
    const cp = input.codePointAt(pos)!;
    const ch = String.fromCodePoint(cp);
    pos += ch.length;
    return ch;
  };
  let lastWidth = 0;
  const nextW = (): string | undefined => {
    const before = pos;
    const c = next();
    lastWidth = pos - before;
    return c;
  };
  const backup = () => {
    pos -= lastWidth;
  };
  const peek = (): string | undefined => {
    if (pos >= input.length) return undefined;
    return String.fromCodePoint(input.codePointAt(pos)!);
  };
  const accept = (valid: string): boolean => {
    const c = peek();
    if (c !== undefined && valid.includes(c)) {
      pos += c.length;
      return true;
    }
    return false;
  };
  const acceptRun = (valid: string) => {
    while (accept(valid)) {
      /* absorb */
    }
  };
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (hasRightTrimMarker(input, pos) && input.startsWith(rightDelim, pos + TRIM_MARKER_LEN)) {
      return { delim: true, trim: true };
    }
    if (input.startsWith(rightDelim, pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };
  const atTerminator = (): boolean => {
    const r = peek();
    if (r === undefined || isSpace(r)) return true;
    if ('.,|:)('.includes(r)) return true;
    return input.startsWith(rightDelim, pos);
  };

  type State = () => State | null;

  const lexText: State = () => {
    let x = input.indexOf(leftDelim, pos);
    if (x >= literalFrom) x = -1;
    if (x >= 0) {
      if (x > pos) {
        pos = x;
        let trimLength = 0;
        const delimEnd = pos + leftDelim.length;
        if (hasLeftTrimMarker(input, delimEnd)) trimLength = rightTrimLength(input.slice(start, pos));
        pos -= trimLength;
        if (pos > start) emit(Item.Text);
        pos += trimLength;
        start = pos;
      }
      return lexLeftDelim;
    }
    pos = input.length;
    if (pos > start) emit(Item.Text);
    emit(Item.EOF);
    return null;
  };

  const lexLeftDelim: State = () => {
    pos += leftDelim.length;
    const trimSpace = hasLeftTrimMarker(input, pos);
    const afterMarker = trimSpace ? TRIM_MARKER_LEN : 0;
    if (input.startsWith(LEFT_COMMENT, pos + afterMarker)) {
      pos += afterMarker;
      start = pos;
      return lexComment;
    }
    const delimStart = start;
    items.push({ type: Item.LeftDelim, val: input.slice(delimStart, pos), pos: delimStart });
    pos += afterMarker;
    start = pos;
    parenDepth = 0;
    return lexInsideAction;
  };

  const lexComment: State = () => {
    pos += LEFT_COMMENT.length;
    const x = input.indexOf(RIGHT_COMMENT, pos);
    if (x < 0) {
      errorf('unclosed comment');
      return null;
    }
    pos = x + RIGHT_COMMENT.length;
    const { delim, trim } = atRightDelim();
    if (!delim) {
      errorf('comment ends before closing delimiter');
      return null;
    }
    if (trim) pos += TRIM_MARKER_LEN;
    pos += rightDelim.length;
    if (trim) pos += leftTrimLength(input, pos);
    start = pos;
    return lexText;
  };

  const lexRightDelim: State = () => {
    const { trim } = atRightDelim();
    if (trim) {
      pos += TRIM_MARKER_LEN;
      start = pos;
    }
    pos += rightDelim.length;
    emit(Item.RightDelim);
    if (trim) {
      pos += leftTrimLength(input, pos);
      start = pos;
    }
    return lexText;
  };

  const lexInsideAction: State = () => {
    const { delim } = atRightDelim();
    if (delim) {
      if (parenDepth === 0) return lexRightDelim;
      errorf('unclosed left paren');
      return null;
    }
    const r = nextW();
    if (r === undefined) {
      errorf('unclosed action');
      return null;
    }
    if (isSpace(r)) {
      backup();
      return lexSpace;
    }
    switch (r) {
      case '=':
        emit(Item.Assign);
        return lexInsideAction;
      case ':':
        if (next() !== '=') {
          errorf('expected :=');
          return null;
        }
        emit(Item.Declare);
        return lexInsideAction;
      case '|':
        emit(Item.Pipe);
        return lexInsideAction;
      case '"':
        return lexQuote;
      case '`':
        return lexRawQuote;
      case '$':
        return lexVariable;
      case "'":
        return lexChar;
      case '(':
        parenDepth++;
        emit(Item.LeftParen);
        return lexInsideAction;
      case ')':
        parenDepth--;
        if (parenDepth < 0) {
          errorf('unexpected right paren');
          return null;
        }
        emit(Item.RightParen);
        return lexInsideAction;
    }
    if (r === '.') {
      const c = input[pos];
      if (pos < input.length && (c < '0' || c > '9')) return lexField;
      backup();
      return lexNumber;
    }
    if (r === '+' || r === '-' || (r >= '0' && r <= '9')) {
      backup();
      return lexNumber;
    }
    if (isAlphaNumeric(r)) {
      backup();
      return lexIdentifier;
    }
    const cp = r.codePointAt(0)!;
    if (cp <= 0x7f && cp >= 0x20 && cp !== 0x7f) {
      emit(Item.Char);
      return lexInsideAction;
    }
    errorf(`unrecognized character in action: ${goRuneDescription(r)}`);
    return null;
  };

  const lexSpace: State = () => {
    let numSpaces = 0;
    while (isSpace(peek())) {
      pos++;
      numSpaces++;
    }
    if (hasRightTrimMarker(input, pos - 1) && input.startsWith(rightDelim, pos - 1 + TRIM_MARKER_LEN)) {
      pos--; // before the space
      if (numSpaces === 1) return lexRightDelim;
    }
    if (pos > start) emit(Item.Space);
    return lexInsideAction;
  };

  const lexIdentifier: State = () => {
    for (;;) {
      const r = nextW();
      if (isAlphaNumeric(r)) continue;
      backup();
      const word = input.slice(start, pos);
      if (!atTerminator()) {
        errorf(`bad character ${goRuneDescription(r ?? '')}`);
        return null;
      }
      const kw = keywords[word];
      if (kw !== undefined && kw > Item.Keyword && Object.hasOwn(keywords, word)) emit(kw);
      else if (word[0] === '.') emit(Item.Field);
      else if (word === 'true' || word === 'false') emit(Item.Bool);
      else emit(Item.Identifier);
      return lexInsideAction;
    }
  };

  const lexFieldOrVariable = (type: Item.Field | Item.Variable): State | null => {
    if (atTerminator()) {
      emit(type === Item.Variable ? Item.Variable : Item.Dot);
      return lexInsideAction;
    }
    let r: string | undefined;
    for (;;) {
      r = nextW();
      if (!isAlphaNumeric(r)) {
        backup();
        break;
      }
    }
    if (!atTerminator()) {
      errorf(`bad character ${goRuneDescription(r ?? '')}`);
      return null;
    }
    emit(type);
    return lexInsideAction;
  };
  const lexField: State = () => lexFieldOrVariable(Item.Field);
  const lexVariable: State = () => {
    if (atTerminator()) {
      emit(Item.Variable);
      return lexInsideAction;
    }
    return lexFieldOrVariable(Item.Variable);
  };

  const lexChar: State = () => {
    for (;;) {
      const r = next();
      if (r === '\\') {
        const e = next();
        if (e !== undefined && e !== '\n') continue;
        errorf('unterminated character constant');
        return null;
      }
      if (r === undefined || r === '\n') {
        errorf('unterminated character constant');
        return null;
      }
      if (r === "'") break;
    }
    emit(Item.CharConstant);
    return lexInsideAction;
  };

  const scanNumber = (): boolean => {
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlphaNumeric(peek())) {
      next();
      return false;
    }
    return true;
  };

  const lexNumber: State = () => {
    if (!scanNumber()) {
      errorf(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
      return null;
    }
    const sign = peek();
    if (sign === '+' || sign === '-') {
      if (!scanNumber() || input[pos - 1] !== 'i') {
        errorf(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
        return null;
      }
      emit(Item.Complex);
      return lexInsideAction;
    }
    emit(Item.Number);
    return lexInsideAction;
  };

  const lexQuote: State = () => {
    for (;;) {
      const r = next();
      if (r === '\\') {
        const e = next();
        if (e !== undefined && e !== '\n') continue;
        errorf('unterminated quoted string');
        return null;
      }
      if (r === undefined || r === '\n') {
        errorf('unterminated quoted string');
        return null;
      }
      if (r === '"') break;
    }
    emit(Item.String);
    return lexInsideAction;
  };

  const lexRawQuote: State = () => {
    for (;;) {
      const r = next();
      if (r === undefined) {
        errorf('unterminated raw quoted string');
        return null;
      }
      if (r === '`') break;
    }
    emit(Item.RawString);
    return lexInsideAction;
  };

  let state: State | null = lexText;
  while (state && !done) state = state();
  return items;
}
