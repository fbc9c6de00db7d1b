// Go's builtin template functions (src/text/template/funcs.go), except `call`: templates here hold
// data, never function values.

import { FuncError } from './errors.js';
import type { TemplateFunc } from './exec.js';
import { formatV, sprint, sprintf, sprintln } from './fmt.js';
import { byteLength, compareGoStrings, GoComplex, isMap, truth, typeName, type Value } from './values.js';

const show = (v: Value) => formatV(v);

type Kind = 'bool' | 'int' | 'float' | 'string' | 'complex' | 'invalid';

function basicKind(v: Value): Kind {
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
  }
  return v instanceof GoComplex ? 'complex' : 'invalid';
}

const isNil = (v: Value) => v === undefined || v === null;

export function goEq(a: Value, ...bs: Value[]): boolean {
  if (bs.length === 0) throw new FuncError('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of bs) {
    const k2 = basicKind(b);
    let t = false;
    if (k1 !== k2) {
      if (!isNil(a) && !isNil(b)) throw new FuncError('incompatible types for comparison');
    } else if (k1 === 'complex') {
      const x = a as GoComplex;
      const y = b as GoComplex;
      t = x.re === y.re && x.im === y.im;
    } else if (k1 !== 'invalid') {
      t = a === b;
    } else {
      const arrays = Array.isArray(a) || Array.isArray(b);
      const maps = isMap(a) || isMap(b);
      if (!isNil(a) && !isNil(b) && Array.isArray(a) !== Array.isArray(b)) {
        throw new FuncError(`non-comparable types ${show(a)}: ${typeName(a)}, ${typeName(b)}: ${show(b)}`);
      }
      if (isNil(a) || isNil(b)) t = isNil(a) === isNil(b);
      else if (arrays || maps) throw new FuncError(`non-comparable type ${show(b)}: ${typeName(b)}`);
    }
    if (t) return true;
  }
  return false;
}

export function goLt(a: Value, b: Value): boolean {
  const k1 = basicKind(a);
  if (k1 === 'invalid') throw new FuncError('invalid type for comparison');
  const k2 = basicKind(b);
  if (k2 === 'invalid') throw new FuncError('invalid type for comparison');
  if (k1 !== k2) throw new FuncError('incompatible types for comparison');
  if (k1 === 'bool' || k1 === 'complex') throw new FuncError('invalid type for comparison');
  if (k1 === 'string') return compareGoStrings(a as string, b as string) < 0;
  return (a as number | bigint) < (b as number | bigint);
}

function indexArg(index: Value, cap: number): number {
  if (isNil(index)) throw new FuncError('cannot index slice/array with nil');
  if (typeof index !== 'bigint') throw new FuncError(`cannot index slice/array with type ${typeName(index)}`);
  if (index < 0n || index > BigInt(cap)) throw new FuncError(`index out of range: ${index}`);
  return Number(index);
}

function index(item: Value, ...indexes: Value[]): Value {
  if (isNil(item)) throw new FuncError('index of untyped nil');
  let cur: Value = item;
  for (const ix of indexes) {
    if (cur === null) throw new FuncError('index of nil pointer');
    if (Array.isArray(cur) || typeof cur === 'string') {
      const len = typeof cur === 'string' ? byteLength(cur) : cur.length;
      const x = indexArg(ix, len);
      if (x >= len) throw new FuncError(`index out of range: ${x}`);
      cur = typeof cur === 'string' ? BigInt(Buffer.from(cur, 'utf8')[x]) : cur[x];
      if (cur === undefined) cur = null;
    } else if (isMap(cur)) {
      if (isNil(ix)) throw new FuncError('value is nil; should be of type string');
      if (typeof ix !== 'string') throw new FuncError(`value has type ${typeName(ix)}; should be string`);
      cur = Object.hasOwn(cur, ix) && cur[ix] !== undefined ? cur[ix] : null;
    } else {
      throw new FuncError(`can't index item of type ${typeName(cur)}`);
    }
  }
  return cur;
}

function slice(item: Value, ...indexes: Value[]): Value {
  if (isNil(item)) throw new FuncError('slice of untyped nil');
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  let cap: number;
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new FuncError('cannot 3-index slice a string');
    cap = byteLength(item);
  } else if (Array.isArray(item)) {
    cap = item.length;
  } else {
    throw new FuncError(`can't slice item of type ${typeName(item)}`);
  }
  const idx = [0, typeof item === 'string' ? cap : item.length, 0];
  indexes.forEach((ix, i) => {
    idx[i] = indexArg(ix, cap);
  });
  if (idx[0] > idx[1]) throw new FuncError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1] > idx[2]) throw new FuncError(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (typeof item === 'string') return Buffer.from(item, 'utf8').subarray(idx[0], idx[1]).toString('utf8');
  return item.slice(idx[0], idx[1]);
}

function length(item: Value): Value {
  if (item === null) throw new FuncError('len of nil pointer');
  if (item === undefined) throw new FuncError('len of untyped nil');
  if (typeof item === 'string') return BigInt(byteLength(item));
  if (Array.isArray(item)) return BigInt(item.length);
  if (isMap(item)) return BigInt(Object.keys(item).length);
  throw new FuncError(`len of type ${typeName(item)}`);
}

/** fmt.Sprint of the arguments, with no value shown as Go's printableValue shows it. */
function evalArgs(args: Value[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (isNil(a) ? '<no value>' : a)));
}

export function htmlEscape(s: string): string {
  return s.replace(/["'&<>]/g, (c) => ({ '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '<':
        out += '\\u003C';
        continue;
      case '>':
        out += '\\u003E';
        continue;
      case '&':
        out += '\\u0026';
        continue;
      case '=':
        out += '\\u003D';
        continue;
    }
    if (cp < 0x20) out += `\\u00${cp.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (cp < 0x80 || (!/[\p{C}\p{Z}]/u.test(ch) && cp !== 0xfffe)) out += ch;
    else out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return out;
}

/** url.QueryEscape. */
export function urlQueryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function builtinFuncs(): Map<string, TemplateFunc> {
  const f = new Map<string, TemplateFunc>();
  f.set('and', { params: ['value'], variadic: 'value', shortCircuit: 'and', fn: () => undefined });
  f.set('or', { params: ['value'], variadic: 'value', shortCircuit: 'or', fn: () => undefined });
  f.set('not', { params: ['value'], fn: ([a]) => !truth(a) });
  f.set('len', { params: ['value'], fn: ([a]) => length(a) });
  f.set('index', { params: ['value'], variadic: 'value', fn: ([a, ...ix]) => index(a, ...ix) });
  f.set('slice', { params: ['value'], variadic: 'value', fn: ([a, ...ix]) => slice(a, ...ix) });
  f.set('print', { params: [], variadic: 'any', fn: (args) => sprint(args) });
  f.set('println', { params: [], variadic: 'any', fn: (args) => sprintln(args) });
  f.set('printf', {
    params: ['string'],
    variadic: 'any',
    fn: ([format, ...args], ctx) => sprintf(format as string, args, ctx.budgets.maxOutputBytes),
  });
  f.set('html', { params: [], variadic: 'any', fn: (args) => htmlEscape(evalArgs(args)) });
  f.set('js', { params: [], variadic: 'any', fn: (args) => jsEscape(evalArgs(args)) });
  f.set('urlquery', { params: [], variadic: 'any', fn: (args) => urlQueryEscape(evalArgs(args)) });
  f.set('eq', { params: ['value'], variadic: 'value', fn: ([a, ...bs]) => goEq(a, ...bs) });
  f.set('ne', { params: ['value', 'value'], fn: ([a, b]) => !goEq(a, b) });
  f.set('lt', { params: ['value', 'value'], fn: ([a, b]) => goLt(a, b) });
  f.set('le', { params: ['value', 'value'], fn: ([a, b]) => goLt(a, b) || goEq(a, b) });
  f.set('gt', { params: ['value', 'value'], fn: ([a, b]) => !(goLt(a, b) || goEq(a, b)) });
  f.set('ge', { params: ['value', 'value'], fn: ([a, b]) => !goLt(a, b) });
  return f;
}
