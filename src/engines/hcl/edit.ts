// Token-level edits of Terraform files written by people: set one attribute of one block and leave
// every other byte as it was (comments, alignment, blank lines), which a parse-and-print cannot do.

import { checkBalanced, HclError, type Token, tokenize } from './lex.js';

export { HclError } from './lex.js';

/** A value already written as HCL (a `raw` forms value): inserted as it stands, once checked to balance. */
export class HclExpression {
  constructor(readonly text: string) {}
}

export type HclValue = string | number | boolean | null | HclExpression | HclValue[] | { [key: string]: HclValue };

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export interface EditResult {
  text: string;
  /** False when the block was not found (the text is returned unchanged). */
  found: boolean;
}

/** Sets `attr = value` inside `module "<name>" { }`: replaced when present, added before `}` otherwise. */
export function setModuleAttribute(src: string, module: string, attr: string, value: unknown): EditResult {
  return setBlockAttribute(src, ['module', module], attr, value);
}

/** Sets the `default` of `variable "<name>" { }`. */
export function setVariableDefault(src: string, variable: string, value: unknown): EditResult {
  return setBlockAttribute(src, ['variable', variable], 'default', value);
}

/** Appends a `variable "<name>" { default = value }` block at the end of the file. */
export function appendVariable(src: string, variable: string, value: unknown): string {
  const sep = src === '' || src.endsWith('\n') ? '' : '\n';
  return `${src}${sep}\nvariable ${quote(variable)} {\n  default = ${hclLiteral(value, '  ')}\n}\n`;
}

/** Sets an attribute of the first top-level block whose type and labels are `labels`. */
export function setBlockAttribute(src: string, labels: readonly string[], attr: string, value: unknown): EditResult {
  if (!IDENT.test(attr)) throw new HclError(`"${attr}" is not an attribute name`, 1);
  const tokens = tokenize(src);
  checkBalanced(tokens, src);
  const block = findBlock(tokens, labels);
  if (!block) return { text: src, found: false };
  const existing = findAttribute(tokens, block.open + 1, block.close, attr);
  if (existing) {
    const indent = lineIndent(src, tokens[existing.name]!.start);
    const literal = hclLiteral(value, indent);
    const from = tokens[existing.valueStart]!.start;
    const to = tokens[existing.valueEnd]!.end;
    return { text: src.slice(0, from) + literal + src.slice(to), found: true };
  }
  const blockIndent = lineIndent(src, tokens[block.start]!.start);
  const indent = firstAttributeIndent(src, tokens, block.open + 1, block.close) ?? `${blockIndent}  `;
  const line = `${indent}${attr} = ${hclLiteral(value, indent)}\n`;
  const close = tokens[block.close]!;
  const closeLineStart = src.lastIndexOf('\n', close.start - 1) + 1;
  if (src.slice(closeLineStart, close.start).trim() === '') {
    return { text: src.slice(0, closeLineStart) + line + src.slice(closeLineStart), found: true };
  }
  // `}` shares its line with other text (`module "m" { source = "x" }`): open a line before it.
  const before = src.slice(0, close.start).replace(/[ \t]+$/, '');
  return { text: `${before}\n${line}${blockIndent}${src.slice(close.start)}`, found: true };
}

interface BlockAt {
  start: number;
  open: number;
  close: number;
}

function significant(t: Token): boolean {
  return t.kind !== 'space' && t.kind !== 'comment' && t.kind !== 'newline';
}

function unquote(t: Token): string | undefined {
  if (t.kind === 'ident') return t.text;
  if (t.kind === 'string' && !t.text.includes('\\') && !t.text.includes('{')) return t.text.slice(1, -1);
  return undefined;
}

function findBlock(tokens: readonly Token[], labels: readonly string[]): BlockAt | undefined {
  let depth = 0;
  let lineStart = true;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'newline') lineStart = true;
    if (t.kind === 'open') depth++;
    if (t.kind === 'close') depth--;
    if (!significant(t)) continue;
    const atStart = lineStart;
    lineStart = false;
    if (depth !== 0 || !atStart || t.kind !== 'ident' || t.text !== labels[0]) continue;
    let j = i;
    let matched = true;
    for (const label of labels.slice(1)) {
      j = nextSignificant(tokens, j + 1);
      if (j >= tokens.length || unquote(tokens[j]!) !== label) {
        matched = false;
        break;
      }
    }
    if (!matched) continue;
    const open = nextSignificant(tokens, j + 1);
    if (tokens[open]?.text !== '{') continue;
    return { start: i, open, close: matchingClose(tokens, open) };
  }
  return undefined;
}

function nextSignificant(tokens: readonly Token[], from: number): number {
  let i = from;
  while (i < tokens.length && !significant(tokens[i]!)) i++;
  return i;
}

function matchingClose(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'open') depth++;
    else if (t.kind === 'close' && --depth === 0) return i;
  }
  return tokens.length - 1;
}

interface AttributeAt {
  name: number;
  valueStart: number;
  valueEnd: number;
}

/** The attribute `attr` directly in the body (not in nested blocks), with its value's token range. */
function findAttribute(tokens: readonly Token[], from: number, to: number, attr: string): AttributeAt | undefined {
  let depth = 0;
  let lineStart = true;
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.kind === 'newline') {
      lineStart = true;
      continue;
    }
    if (!significant(t)) continue;
    const atStart = lineStart;
    lineStart = false;
    if (t.kind === 'open') depth++;
    else if (t.kind === 'close') depth--;
    if (depth !== 0 || !atStart || t.kind !== 'ident' || t.text !== attr) continue;
    const eq = nextSignificant(tokens, i + 1);
    if (tokens[eq]?.text !== '=') continue;
    const valueStart = nextSignificant(tokens, eq + 1);
    return { name: i, valueStart, valueEnd: valueEnd(tokens, valueStart, to) };
  }
  return undefined;
}

/** Last significant token of the expression starting at `start`: up to a newline outside brackets. */
function valueEnd(tokens: readonly Token[], start: number, limit: number): number {
  let depth = 0;
  let last = start;
  for (let i = start; i < limit; i++) {
    const t = tokens[i]!;
    if (t.kind === 'open') depth++;
    else if (t.kind === 'close') depth--;
    else if (t.kind === 'newline' && depth === 0) break;
    if (significant(t)) last = i;
  }
  return last;
}

function lineIndent(src: string, pos: number): string {
  const start = src.lastIndexOf('\n', pos - 1) + 1;
  const m = /^[ \t]*/.exec(src.slice(start, pos));
  return m ? m[0] : '';
}

function firstAttributeIndent(src: string, tokens: readonly Token[], from: number, to: number): string | undefined {
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'ident') continue;
    const lineStart = src.lastIndexOf('\n', t.start - 1) + 1;
    if (lineStart > tokens[from - 1]!.start && /^[ \t]*$/.test(src.slice(lineStart, t.start))) {
      return src.slice(lineStart, t.start);
    }
  }
  return undefined;
}

/** An HCL string literal: escapes, and `${`/`%{` doubled so a value is never read as a template. */
export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') out += '\\\\';
    else if (c === '"') out += '\\"';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if ((c === '$' || c === '%') && s[i + 1] === '{') out += c + c;
    else if (c.charCodeAt(0) < 0x20) out += `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

/** A JSON-like value as an HCL expression; maps open one line per entry, indented from `indent`. */
export function hclLiteral(value: unknown, indent = ''): string {
  if (value instanceof HclExpression) {
    const text = value.text.trim();
    checkBalanced(tokenize(text), text);
    return text === '' ? 'null' : text;
  }
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new HclError(`${value} is not a number HCL can hold`, 1);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object'))
      return `[${value.map((v) => hclLiteral(v)).join(', ')}]`;
    return `[\n${value.map((v) => `${inner}${hclLiteral(v, inner)},`).join('\n')}\n${indent}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    const lines = entries.map(([k, v]) => `${inner}${IDENT.test(k) ? k : quote(k)} = ${hclLiteral(v, inner)}`);
    return `{\n${lines.join('\n')}\n${indent}}`;
  }
  throw new HclError(`a ${typeof value} cannot be written as HCL`, 1);
}
