// Tokens of Rego source. Newlines are not tokens: each token records whether a newline came before it,
// which is how the parser ends an expression at the end of a line.
import { type Loc, RegoError } from './errors.js';

export type TokenKind = 'ident' | 'string' | 'number' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The identifier, the punctuation, the number's text, or the string's decoded value. */
  text: string;
  /** True for a raw (backquoted) string. */
  raw?: boolean;
  /** A newline (or the start of the source) separates this token from the previous one. */
  nl: boolean;
  line: number;
  column: number;
  offset: number;
}

const PUNCT2 = new Set([':=', '==', '!=', '<=', '>=']);
const PUNCT1 = new Set([
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  '.',
  ',',
  ';',
  ':',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '&',
  '|',
]);

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function tokenize(src: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let nl = true;
  const n = src.length;
  const err = (msg: string, at = i): never => {
    throw new RegoError('parse', msg, { file, line, column: at - lineStart + 1 } satisfies Loc);
  };
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 10) {
      i++;
      line++;
      lineStart = i;
      nl = true;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    if (c === 35) {
      while (i < n && src.charCodeAt(i) !== 10) i++;
      continue;
    }
    const start = i;
    const column = i - lineStart + 1;
    const push = (kind: TokenKind, text: string, raw?: boolean) => {
      tokens.push({ kind, text, raw, nl, line, column, offset: start });
      nl = false;
    };
    if (isIdentStart(c)) {
      while (i < n && isIdentPart(src.charCodeAt(i))) i++;
      push('ident', src.slice(start, i));
      continue;
    }
    if (isDigit(c)) {
      while (i < n && isDigit(src.charCodeAt(i))) i++;
      if (src.charCodeAt(i) === 46 && isDigit(src.charCodeAt(i + 1))) {
        i++;
        while (i < n && isDigit(src.charCodeAt(i))) i++;
      }
      const e = src.charCodeAt(i);
      if (e === 101 || e === 69) {
        let j = i + 1;
        const s = src.charCodeAt(j);
        if (s === 43 || s === 45) j++;
        if (isDigit(src.charCodeAt(j))) {
          i = j;
          while (i < n && isDigit(src.charCodeAt(i))) i++;
        }
      }
      if (i < n && isIdentStart(src.charCodeAt(i))) err(`invalid number literal "${src.slice(start, i + 1)}"`);
      push('number', src.slice(start, i));
      continue;
    }
    if (c === 34) {
      i++;
      let out = '';
      for (;;) {
        if (i >= n || src.charCodeAt(i) === 10) err('unterminated string', start);
        const ch = src[i];
        if (ch === '"') {
          i++;
          break;
        }
        if (ch === '\\') {
          const e = src[i + 1];
          i += 2;
          switch (e) {
            case '"':
              out += '"';
              break;
            case '\\':
              out += '\\';
              break;
            case '/':
              out += '/';
              break;
            case 'b':
              out += '\b';
              break;
            case 'f':
              out += '\f';
              break;
            case 'n':
              out += '\n';
              break;
            case 'r':
              out += '\r';
              break;
            case 't':
              out += '\t';
              break;
            case 'u': {
              const hex = src.slice(i, i + 4);
              if (!/^[0-9a-fA-F]{4}$/.test(hex)) err('invalid unicode escape in string', i - 2);
              out += String.fromCharCode(Number.parseInt(hex, 16));
              i += 4;
              break;
            }
            default:
              err(`invalid escape sequence "\\${e ?? ''}" in string`, i - 2);
          }
          continue;
        }
        out += ch;
        i++;
      }
      push('string', out);
      continue;
    }
    if (c === 96) {
      const end = src.indexOf('`', i + 1);
      if (end < 0) err('unterminated raw string', start);
      const text = src.slice(i + 1, end);
      const startLine = line;
      for (let j = i + 1; j < end; j++) {
        if (src.charCodeAt(j) === 10) {
          line++;
          lineStart = j + 1;
        }
      }
      i = end + 1;
      tokens.push({ kind: 'string', text, raw: true, nl, line: startLine, column, offset: start });
      nl = false;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (PUNCT2.has(two)) {
      i += 2;
      push('punct', two);
      continue;
    }
    const one = src[i];
    if (PUNCT1.has(one)) {
      i++;
      push('punct', one);
      continue;
    }
    err(`unexpected character ${JSON.stringify(one)}`);
  }
  tokens.push({ kind: 'eof', text: '', nl: true, line, column: i - lineStart + 1, offset: i });
  return tokens;
}
