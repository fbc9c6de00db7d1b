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

/** Appends `variable "<name>" { default = value }` blocks at the end of the file. */
export function appendVariables(src: string, variables: readonly (readonly [string, unknown])[]): string {
  const sep = src === '' || src.endsWith('\n') ? '' : '\n';
  const blocks = variables.map(
    ([name, value]) => `\nvariable ${quote(name)} {\n  default = ${hclLiteral(value, '  ')}\n}\n`,
  );
  return `${src}${sep}${blocks.join('')}`;
}

/** Sets an attribute of the first top-level block whose type and labels are `labels`. */
export function setBlockAttribute(src: string, labels: readonly string[], attr: string, value: unknown): EditResult {
  const r = applyEdits(src, [{ labels, attr, value }]);
  return { text: r.text, found: r.found[0]! };
}

/** One attribute to set in the first top-level block with these type and labels (`['module', 'vm']`). */
export interface AttributeEdit {
  labels: readonly string[];
  attr: string;
  value: unknown;
}

interface Splice {
  from: number;
  to: number;
  text: string;
}

/**
 * The expression text of attributes, each in the first top-level block with its type and labels;
 * undefined where the block or the attribute is missing. One tokenization for all.
 */
export function readAttributes(
  src: string,
  wanted: readonly { labels: readonly string[]; attr: string }[],
): (string | undefined)[] {
  const tokens = tokenize(src);
  checkBalanced(tokens, src);
  const blocks = indexBlocks(tokens);
  return wanted.map((w) => {
    const block = blocks.get(w.labels.join('\0'));
    if (!block) return undefined;
    block.attributes ??= indexAttributes(tokens, block.open + 1, block.close);
    const at = block.attributes.get(w.attr);
    return at && src.slice(tokens[at.valueStart]!.start, tokens[at.valueEnd]!.end);
  });
}

/**
 * Applies many attribute edits to one file with a single tokenization (a form sets hundreds of
 * attributes of one sample). `found[i]` tells whether edit i's block exists; other edits still apply.
 */
export function applyEdits(src: string, edits: readonly AttributeEdit[]): { text: string; found: boolean[] } {
  for (const e of edits) if (!IDENT.test(e.attr)) throw new HclError(`"${e.attr}" is not an attribute name`, 1);
  const tokens = tokenize(src);
  checkBalanced(tokens, src);
  const blocks = indexBlocks(tokens);
  const splices: Splice[] = [];
  const added = new Map<BlockAt, string[]>();
  const found = edits.map((edit) => {
    const block = blocks.get(edit.labels.join('\0'));
    if (!block) return false;
    block.attributes ??= indexAttributes(tokens, block.open + 1, block.close);
    const existing = block.attributes.get(edit.attr);
    if (existing) {
      const indent = lineIndent(src, tokens[existing.name]!.start);
      splices.push({
        from: tokens[existing.valueStart]!.start,
        to: tokens[existing.valueEnd]!.end,
        text: hclLiteral(edit.value, indent),
      });
    } else {
      block.indent ??=
        firstAttributeIndent(src, tokens, block.open + 1, block.close) ?? `${blockIndentOf(src, tokens, block)}  `;
      const lines = added.get(block) ?? [];
      lines.push(`${block.indent}${edit.attr} = ${hclLiteral(edit.value, block.indent)}\n`);
      added.set(block, lines);
    }
    return true;
  });
  for (const [block, lines] of added) splices.push(insertion(src, tokens, block, lines.join('')));
  splices.sort((a, b) => b.from - a.from);
  let text = src;
  for (const s of splices) text = text.slice(0, s.from) + s.text + text.slice(s.to);
  return { text, found };
}

function blockIndentOf(src: string, tokens: readonly Token[], block: BlockAt): string {
  return lineIndent(src, tokens[block.start]!.start);
}

/** New attribute lines go before the closing `}`; a `}` sharing its line with other text gets its own. */
function insertion(src: string, tokens: readonly Token[], block: BlockAt, lines: string): Splice {
  const close = tokens[block.close]!;
  const closeLineStart = src.lastIndexOf('\n', close.start - 1) + 1;
  if (src.slice(closeLineStart, close.start).trim() === '')
    return { from: closeLineStart, to: closeLineStart, text: lines };
  let from = close.start;
  while (from > 0 && (src[from - 1] === ' ' || src[from - 1] === '\t')) from--;
  return { from, to: close.start, text: `\n${lines}${blockIndentOf(src, tokens, block)}` };
}

interface BlockAt {
  start: number;
  open: number;
  close: number;
  attributes?: Map<string, AttributeAt>;
  indent?: string;
}

function significant(t: Token): boolean {
  return t.kind !== 'space' && t.kind !== 'comment' && t.kind !== 'newline';
}

function unquote(t: Token): string | undefined {
  if (t.kind === 'ident') return t.text;
  if (t.kind === 'string' && !t.text.includes('\\') && !t.text.includes('{')) return t.text.slice(1, -1);
  return undefined;
}

/** Top-level blocks by their type and labels joined with NUL; the first of a kind wins. */
function indexBlocks(tokens: readonly Token[]): Map<string, BlockAt> {
  const out = new Map<string, BlockAt>();
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
    if (depth !== 0 || !atStart || t.kind !== 'ident') continue;
    const labels = [t.text];
    let j = nextSignificant(tokens, i + 1);
    while (j < tokens.length && (tokens[j]!.kind === 'string' || tokens[j]!.kind === 'ident')) {
      const label = unquote(tokens[j]!);
      if (label === undefined) break;
      labels.push(label);
      j = nextSignificant(tokens, j + 1);
    }
    if (tokens[j]?.text !== '{') continue;
    const close = matchingClose(tokens, j);
    const key = labels.join('\0');
    if (!out.has(key)) out.set(key, { start: i, open: j, close });
    // The body's tokens are skipped: blocks are only looked for at the top level.
    i = close;
    lineStart = false;
  }
  return out;
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

/** The attributes directly in a body (not in nested blocks), with their values' token ranges. */
function indexAttributes(tokens: readonly Token[], from: number, to: number): Map<string, AttributeAt> {
  const out = new Map<string, AttributeAt>();
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
    if (depth !== 0 || !atStart || t.kind !== 'ident') continue;
    const eq = nextSignificant(tokens, i + 1);
    if (tokens[eq]?.text !== '=') continue;
    const valueStart = nextSignificant(tokens, eq + 1);
    const end = valueEnd(tokens, valueStart, to);
    if (!out.has(t.text)) out.set(t.text, { name: i, valueStart, valueEnd: end });
    i = end;
  }
  return out;
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
