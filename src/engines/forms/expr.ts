// Conditions of StackForms groups and dynamic options: a small expression language in the style of
// govaluate (`$size == 'L' && $count > 0`, `!$enabled`), plus the legacy form without `$` and quotes
// (`host_pool_type==Pooled`). Parsed once into a tree, evaluated without `eval`.

import { FormsError } from './errors.js';

export type Expr =
  | { kind: 'lit'; value: string | number | boolean }
  | { kind: 'var'; name: string }
  | { kind: 'not'; operand: Expr }
  | { kind: 'logic'; op: '&&' | '||'; left: Expr; right: Expr }
  | { kind: 'cmp'; op: CmpOp; left: Expr; right: Expr };

type CmpOp = '==' | '!=' | '>' | '>=' | '<' | '<=';

type Token =
  | { t: 'op'; v: string; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: 'num'; v: number; pos: number }
  | { t: 'var'; v: string; pos: number }
  | { t: 'word'; v: string; pos: number };

/** Longer conditions are not written by hand; the cap bounds parse time and nesting. */
export const MAX_EXPRESSION_LENGTH = 2_000;
const MAX_DEPTH = 64;

const OPERATORS = ['&&', '||', '==', '!=', '>=', '<=', '>', '<', '!', '(', ')'];
const IDENT = /[A-Za-z0-9_.]/;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op) {
      out.push({ t: 'op', v: op, pos: i });
      i += op.length;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let text = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        text += src[j];
        j++;
      }
      if (j >= src.length) throw new FormsError(`unterminated string at position ${i + 1}`);
      out.push({ t: 'str', v: text, pos: i });
      i = j + 1;
      continue;
    }
    const isVar = c === '$';
    // A leading minus sign starts a negative number. Inside a name it is part of it: keys such as
    // `module.aws-vm.create_dns` (the grammar has no subtraction), and legacy words like `eu-west-1`.
    const negative = c === '-' && /[0-9]/.test(src[i + 1] ?? '');
    const start = isVar || negative ? i + 1 : i;
    let j = start;
    while (j < src.length && (IDENT.test(src[j]!) || (src[j] === '-' && j > start && IDENT.test(src[j + 1] ?? '')))) {
      j++;
    }
    if (j === start) throw new FormsError(`unexpected "${c}" at position ${i + 1}`);
    const word = src.slice(isVar ? i + 1 : i, j);
    if (isVar) out.push({ t: 'var', v: word, pos: i });
    else if (/^-?\d+(\.\d+)?$/.test(word)) out.push({ t: 'num', v: Number(word), pos: i });
    else out.push({ t: 'word', v: word, pos: i });
    i = j;
  }
  return out;
}

/**
 * Parses a condition. Without any `$` in it the expression is read in the legacy way: in a comparison
 * the bare word on the left names a variable and the one on the right is a string (`type==Pooled`).
 */
export function parseCondition(src: string): Expr {
  if (src.length > MAX_EXPRESSION_LENGTH) {
    throw new FormsError(`condition longer than ${MAX_EXPRESSION_LENGTH} characters`);
  }
  const tokens = tokenize(src);
  const legacy = !tokens.some((t) => t.t === 'var');
  let p = 0;
  const peek = () => tokens[p];
  const isOp = (v: string) => {
    const t = tokens[p];
    return t?.t === 'op' && t.v === v;
  };
  const fail = (what: string): never => {
    const t = tokens[p];
    throw new FormsError(t ? `${what} at position ${t.pos + 1}` : `${what} at the end`);
  };

  const orExpr = (depth: number): Expr => {
    if (depth > MAX_DEPTH) fail('expression nested too deeply');
    let left = andExpr(depth);
    while (isOp('||')) {
      p++;
      left = { kind: 'logic', op: '||', left, right: andExpr(depth) };
    }
    return left;
  };
  const andExpr = (depth: number): Expr => {
    let left = notExpr(depth);
    while (isOp('&&')) {
      p++;
      left = { kind: 'logic', op: '&&', left, right: notExpr(depth) };
    }
    return left;
  };
  const notExpr = (depth: number): Expr => {
    if (isOp('!')) {
      p++;
      if (depth > MAX_DEPTH) fail('expression nested too deeply');
      return { kind: 'not', operand: notExpr(depth + 1) };
    }
    return compare(depth);
  };
  const compare = (depth: number): Expr => {
    const left = primary(depth, 'left');
    const t = peek();
    if (t?.t === 'op' && ['==', '!=', '>', '>=', '<', '<='].includes(t.v)) {
      p++;
      return { kind: 'cmp', op: t.v as CmpOp, left, right: primary(depth, 'right') };
    }
    return left;
  };
  const primary = (depth: number, side: 'left' | 'right'): Expr => {
    const t = peek();
    if (!t) return fail('operand expected');
    if (t.t === 'op' && t.v === '(') {
      p++;
      const inner = orExpr(depth + 1);
      if (!isOp(')')) fail('")" expected');
      p++;
      return inner;
    }
    p++;
    switch (t.t) {
      case 'str':
      case 'num':
        return { kind: 'lit', value: t.v };
      case 'var':
        return { kind: 'var', name: t.v };
      case 'word':
        if (t.v === 'true' || t.v === 'false') return { kind: 'lit', value: t.v === 'true' };
        if (legacy) return side === 'left' ? { kind: 'var', name: t.v } : { kind: 'lit', value: t.v };
        p--;
        return fail(`unknown word "${t.v}" (variables are written $name, strings 'quoted')`);
      default:
        p--;
        return fail(`unexpected "${t.v}"`);
    }
  };

  if (tokens.length === 0) throw new FormsError('empty condition');
  const tree = orExpr(0);
  if (p < tokens.length) fail('unexpected text');
  return tree;
}

/** The variables an expression reads. */
export function conditionVariables(expr: Expr, out: Set<string> = new Set()): Set<string> {
  switch (expr.kind) {
    case 'var':
      out.add(expr.name);
      break;
    case 'not':
      conditionVariables(expr.operand, out);
      break;
    case 'logic':
    case 'cmp':
      conditionVariables(expr.left, out);
      conditionVariables(expr.right, out);
      break;
  }
  return out;
}

export type Lookup = (name: string) => unknown;

/**
 * Evaluates to a boolean. Only `true` is true (a missing variable, a string or a number is not);
 * numbers compare as numbers, strings by code points, and values of different types are never equal.
 */
export function evaluateCondition(expr: Expr, lookup: Lookup): boolean {
  return value(expr, lookup) === true;
}

function value(expr: Expr, lookup: Lookup): unknown {
  switch (expr.kind) {
    case 'lit':
      return expr.value;
    case 'var':
      return lookup(expr.name);
    case 'not':
      return value(expr.operand, lookup) !== true;
    case 'logic': {
      const left = value(expr.left, lookup) === true;
      if (expr.op === '&&') return left && value(expr.right, lookup) === true;
      return left || value(expr.right, lookup) === true;
    }
    case 'cmp':
      return compareValues(expr.op, value(expr.left, lookup), value(expr.right, lookup));
  }
}

function compareValues(op: CmpOp, a: unknown, b: unknown): boolean {
  if (op === '==') return same(a, b);
  if (op === '!=') return !same(a, b);
  const comparable =
    (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
  if (!comparable) return false;
  const x = a as number | string;
  const y = b as number | string;
  if (op === '>') return x > y;
  if (op === '>=') return x >= y;
  if (op === '<') return x < y;
  return x <= y;
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a == null || b == null) return false;
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return false;
}
