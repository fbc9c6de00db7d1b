// The Sprig functions stacks may call (github.com/Masterminds/sprig/v3, as Cycloid exposes them), and
// Helm's include, tpl and required. Functions that read the clock, the environment or randomness are
// left out: rendering is deterministic.

import { RE2JS } from 're2js';
import { BudgetExceeded, FuncError } from './errors.js';
import type { CallContext, TemplateFunc } from './exec.js';
import { formatFloat, formatV, quoteGo } from './fmt.js';
import { parseGoInteger } from './literals.js';
import { byteLength, type GoMap, int64, isMap, sortedKeys, truth, typeName, type Value } from './values.js';

/** Sprig's strval: strings as they are, anything else as fmt's %v prints it. */
export function strval(v: Value): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '<nil>';
  return formatV(v);
}

function strslice(v: Value): string[] {
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined).map(strval);
  if (v === null || v === undefined) return [];
  return [strval(v)];
}

/** cast.ToInt64 as Sprig uses it: numbers, numeric strings, bools; anything else is 0. */
function toInt(v: Value): bigint {
  switch (typeof v) {
    case 'bigint':
      return v;
    case 'number':
      return Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
    case 'boolean':
      return v ? 1n : 0n;
    case 'string': {
      const s = v.trim();
      const i = parseGoInteger(s, false);
      if (i !== null) return i;
      const f = Number(s);
      return s !== '' && Number.isFinite(f) ? BigInt(Math.trunc(f)) : 0n;
    }
  }
  return 0n;
}

function toFloat(v: Value): number {
  switch (typeof v) {
    case 'bigint':
      return Number(v);
    case 'number':
      return v;
    case 'boolean':
      return v ? 1 : 0;
    case 'string': {
      const f = Number(v.trim());
      return v.trim() !== '' && !Number.isNaN(f) ? f : 0;
    }
  }
  return 0;
}

function list(v: Value, fname: string): Value[] {
  if (Array.isArray(v)) return v;
  throw new FuncError(`Cannot ${fname} on type ${v === undefined || v === null ? 'invalid' : kindOf(v)}`);
}

function kindOf(v: Value): string {
  if (v === undefined || v === null) return 'invalid';
  if (Array.isArray(v)) return 'slice';
  if (isMap(v)) return 'map';
  switch (typeof v) {
    case 'bigint':
      return 'int';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'string':
      return 'string';
  }
  return 'complex128';
}

function deepEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function newMap(): GoMap {
  return Object.create(null) as GoMap;
}

function checkSize(n: number, ctx: CallContext, what: string) {
  if (n > ctx.budgets.maxOutputBytes) throw new BudgetExceeded(`${what} would exceed the output budget`);
}

/** encoding/json's Marshal for template values (sorted keys, HTML-safe escaping unless raw). */
export function goJSON(v: Value, indent = '', raw = false, depth = 0): string {
  const nl = indent ? `\n${indent.repeat(depth + 1)}` : '';
  const close = indent ? `\n${indent.repeat(depth)}` : '';
  const sep = indent ? ': ' : ':';
  if (v === undefined || v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return String(v);
    case 'bigint':
      return v.toString();
    case 'number': {
      if (!Number.isFinite(v)) throw new FuncError(`json: unsupported value: ${formatFloat(v, 'g', -1)}`);
      const a = Math.abs(v);
      if (a !== 0 && (a < 1e-6 || a >= 1e21)) {
        return formatFloat(v, 'e', -1).replace(/e([+-])0(\d)$/, 'e$1$2');
      }
      return formatFloat(v, 'f', -1);
    }
    case 'string': {
      let s = JSON.stringify(v).replace(/[\u2028\u2029]/g, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
      if (!raw) s = s.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
      return s;
    }
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[${nl}${v.map((x) => goJSON(x, indent, raw, depth + 1)).join(`,${nl}`)}${close}]`;
  }
  if (isMap(v)) {
    const keys = sortedKeys(v);
    if (keys.length === 0) return '{}';
    const parts = keys.map((k) => `${goJSON(k, indent, raw, depth + 1)}${sep}${goJSON(v[k], indent, raw, depth + 1)}`);
    return `{${nl}${parts.join(`,${nl}`)}${close}}`;
  }
  throw new FuncError(`json: unsupported type: ${typeName(v)}`);
}

function fromJSONText(s: string): Value {
  const convert = (x: unknown): Value => {
    if (x === null) return null;
    if (Array.isArray(x)) return x.map(convert);
    if (typeof x === 'object') {
      const m = newMap();
      for (const [k, y] of Object.entries(x as Record<string, unknown>)) m[k] = convert(y);
      return m;
    }
    return x as Value;
  };
  return convert(JSON.parse(s));
}

function regex(pattern: string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (e) {
    throw new FuncError(`error parsing regexp: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Go's regexp Expand: $1, ${1}, $name, ${name}, $$. */
function expand(template: string, groups: (string | null | undefined)[], names: Record<string, number>): string {
  return template.replace(
    /\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g,
    (_m, all: string, braced?: string, bare?: string) => {
      if (all === '$') return '$';
      const name = braced ?? bare ?? '';
      const n = /^\d+$/.test(name) ? Number(name) : names[name];
      return n !== undefined ? (groups[n] ?? '') : '';
    },
  );
}

function findAll(re: RE2JS, s: string, n: number): string[][] {
  const out: string[][] = [];
  const m = re.matcher(s);
  while ((n < 0 || out.length < n) && m.find()) {
    const groups: string[] = [];
    for (let i = 0; i <= m.groupCount(); i++) groups.push(m.group(i) ?? '');
    out.push(groups);
  }
  return out;
}

function regexReplace(pattern: string, s: string, repl: string, literal: boolean): string {
  const re = regex(pattern);
  const names = re.namedGroups();
  return re.matcher(s).replaceAll((...args: unknown[]) => {
    const groups: string[] = [];
    for (let i = 0; i <= re.groupCount(); i++) groups.push((args[i] as string | undefined) ?? '');
    return literal ? repl : expand(repl, groups, names);
  });
}

function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    const sep = !/[\p{L}\p{Nd}_]/u.test(prev);
    out += sep ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

function untilStep(start: bigint, stop: bigint, step: bigint, ctx: CallContext): Value[] {
  const v: Value[] = [];
  if (step === 0n) return v;
  const count =
    step > 0n
      ? stop > start
        ? (stop - start + step - 1n) / step
        : 0n
      : start > stop
        ? (start - stop - step - 1n) / -step
        : 0n;
  ctx.charge(Number(count));
  if (stop < start) {
    if (step >= 0n) return v;
    for (let i = start; i > stop; i += step) v.push(i);
    return v;
  }
  if (step <= 0n) return v;
  for (let i = start; i < stop; i += step) v.push(i);
  return v;
}

function trimCutset(s: string, cutset: string, left: boolean, right: boolean): string {
  const chars = new Set(Array.from(cutset));
  const arr = Array.from(s);
  let i = 0;
  let j = arr.length;
  if (left) while (i < j && chars.has(arr[i])) i++;
  if (right) while (j > i && chars.has(arr[j - 1])) j--;
  return arr.slice(i, j).join('');
}

function byteSlice(s: string, from: number, to?: number): string {
  const b = Buffer.from(s, 'utf8');
  if (from < 0 || from > b.length || (to !== undefined && (to < from || to > b.length))) {
    throw new FuncError(`runtime error: slice bounds out of range [${from}:${to ?? b.length}] with length ${b.length}`);
  }
  return b.subarray(from, to).toString('utf8');
}

const s = (v: Value) => v as string;
const n = (v: Value) => Number(v as bigint);

/** Sprig (minus env, expandenv, clock, randomness) plus Helm's include, tpl and required. */
export function sprigFuncs(): Map<string, TemplateFunc> {
  const f = new Map<string, TemplateFunc>();
  const def = (
    name: string,
    params: TemplateFunc['params'],
    fn: TemplateFunc['fn'],
    variadic?: TemplateFunc['variadic'],
  ) => f.set(name, variadic ? { params, variadic, fn } : { params, fn });

  // Strings.
  def('upper', ['string'], ([a]) => s(a).toUpperCase());
  def('lower', ['string'], ([a]) => s(a).toLowerCase());
  def('title', ['string'], ([a]) => title(s(a)));
  def('untitle', ['string'], ([a]) => s(a).replace(/(^|[^\p{L}\p{Nd}_])(\p{L})/gu, (_m, p, c) => p + c.toLowerCase()));
  def('trim', ['string'], ([a]) => s(a).trim());
  def('trimAll', ['string', 'string'], ([cut, a]) => trimCutset(s(a), s(cut), true, true));
  def('trimPrefix', ['string', 'string'], ([p, a]) => (s(a).startsWith(s(p)) ? s(a).slice(s(p).length) : s(a)));
  def('trimSuffix', ['string', 'string'], ([p, a]) =>
    s(a).endsWith(s(p)) && s(p) !== '' ? s(a).slice(0, -s(p).length) : s(a),
  );
  def('repeat', ['int', 'string'], ([c, a], ctx) => {
    const count = n(c);
    if (count < 0) throw new FuncError('strings: negative Repeat count');
    checkSize(count * s(a).length, ctx, 'repeat');
    return s(a).repeat(count);
  });
  def('substr', ['int', 'int', 'string'], ([st, en, a]) => {
    const b = byteLength(s(a));
    if (n(st) < 0) return byteSlice(s(a), 0, n(en));
    if (n(en) < 0 || n(en) > b) return byteSlice(s(a), n(st));
    return byteSlice(s(a), n(st), n(en));
  });
  def('trunc', ['int', 'string'], ([c, a]) => {
    const b = byteLength(s(a));
    if (n(c) < 0 && b + n(c) > 0) return byteSlice(s(a), b + n(c));
    if (n(c) >= 0 && b > n(c)) return byteSlice(s(a), 0, n(c));
    return s(a);
  });
  def('nospace', ['string'], ([a]) => s(a).replace(/\s/gu, ''));
  def('contains', ['string', 'string'], ([sub, a]) => s(a).includes(s(sub)));
  def('hasPrefix', ['string', 'string'], ([p, a]) => s(a).startsWith(s(p)));
  def('hasSuffix', ['string', 'string'], ([p, a]) => s(a).endsWith(s(p)));
  def(
    'quote',
    [],
    (args) =>
      args
        .filter((x) => x !== null && x !== undefined)
        .map((x) => quoteGo(strval(x)))
        .join(' '),
    'any',
  );
  def(
    'squote',
    [],
    (args) =>
      args
        .filter((x) => x !== null && x !== undefined)
        .map((x) => `'${strval(x)}'`)
        .join(' '),
    'any',
  );
  def(
    'cat',
    [],
    (args) =>
      args
        .filter((x) => x !== null && x !== undefined)
        .map(strval)
        .join(' '),
    'any',
  );
  def('indent', ['int', 'string'], ([c, a], ctx) => {
    const pad = ' '.repeat(Math.max(n(c), 0));
    checkSize(s(a).length + pad.length * (s(a).split('\n').length + 1), ctx, 'indent');
    return pad + s(a).replaceAll('\n', `\n${pad}`);
  });
  def('nindent', ['int', 'string'], ([c, a], ctx) => {
    const pad = ' '.repeat(Math.max(n(c), 0));
    checkSize(s(a).length + pad.length * (s(a).split('\n').length + 1), ctx, 'nindent');
    return `\n${pad}${s(a).replaceAll('\n', `\n${pad}`)}`;
  });
  def('replace', ['string', 'string', 'string'], ([o, nw, a], ctx) => {
    const out = s(a).replaceAll(s(o), s(nw));
    checkSize(out.length, ctx, 'replace');
    return out;
  });
  def('plural', ['string', 'string', 'int'], ([one, many, c]) => (c === 1n ? one : many));
  def('split', ['string', 'string'], ([sep, a]) => {
    const m = newMap();
    s(a)
      .split(s(sep))
      .forEach((p, i) => {
        m[`_${i}`] = p;
      });
    return m;
  });
  def('splitList', ['string', 'string'], ([sep, a]) => (s(sep) === '' ? Array.from(s(a)) : s(a).split(s(sep))));
  def('splitn', ['string', 'int', 'string'], ([sep, c, a]) => {
    const parts = s(a).split(s(sep));
    const limit = n(c);
    const kept =
      limit > 0 && parts.length > limit ? [...parts.slice(0, limit - 1), parts.slice(limit - 1).join(s(sep))] : parts;
    const m = newMap();
    if (limit === 0) return m;
    kept.forEach((p, i) => {
      m[`_${i}`] = p;
    });
    return m;
  });
  def('join', ['string', 'any'], ([sep, v], ctx) => {
    const out = strslice(v).join(s(sep));
    checkSize(out.length, ctx, 'join');
    return out;
  });
  def('sortAlpha', ['any'], ([v]) => strslice(v).sort());
  def('toString', ['any'], ([v]) => strval(v));
  def('toStrings', ['any'], ([v]) => strslice(v));

  // Conversions and numbers.
  def('atoi', ['string'], ([a]) => {
    const i = /^[+-]?\d+$/.test(s(a)) ? parseGoInteger(s(a), false) : null;
    return i ?? 0n;
  });
  def('int', ['any'], ([v]) => toInt(v));
  def('int64', ['any'], ([v]) => toInt(v));
  def('float64', ['any'], ([v]) => toFloat(v));
  def('toDecimal', ['any'], ([v]) => {
    const i = parseGoInteger(`0o${strval(v)}`, false);
    return i ?? 0n;
  });
  def('add', [], (args) => int64(args.reduce<bigint>((acc, x) => acc + toInt(x), 0n)), 'any');
  def('add1', ['any'], ([a]) => int64(toInt(a) + 1n));
  def('sub', ['any', 'any'], ([a, b]) => int64(toInt(a) - toInt(b)));
  def('mul', ['any'], ([a, ...rest]) => int64(rest.reduce<bigint>((acc, x) => acc * toInt(x), toInt(a))), 'any');
  def('div', ['any', 'any'], ([a, b]) => {
    if (toInt(b) === 0n) throw new FuncError('runtime error: integer divide by zero');
    return int64(toInt(a) / toInt(b));
  });
  def('mod', ['any', 'any'], ([a, b]) => {
    if (toInt(b) === 0n) throw new FuncError('runtime error: integer divide by zero');
    return toInt(a) % toInt(b);
  });
  def('max', ['any'], ([a, ...rest]) => rest.reduce<bigint>((m, x) => (toInt(x) > m ? toInt(x) : m), toInt(a)), 'any');
  def('min', ['any'], ([a, ...rest]) => rest.reduce<bigint>((m, x) => (toInt(x) < m ? toInt(x) : m), toInt(a)), 'any');
  def('floor', ['any'], ([a]) => Math.floor(toFloat(a)));
  def('ceil', ['any'], ([a]) => Math.ceil(toFloat(a)));
  def(
    'round',
    ['any', 'int'],
    ([a, p, on]) => {
      const roundOn = on === undefined ? 0.5 : toFloat(on);
      const pow = 10 ** n(p);
      const digit = pow * toFloat(a);
      const frac = digit - Math.trunc(digit);
      return (frac >= roundOn ? Math.ceil(digit) : Math.floor(digit)) / pow;
    },
    'float64',
  );
  def('until', ['int'], ([c], ctx) => untilStep(0n, c as bigint, (c as bigint) < 0n ? -1n : 1n, ctx));
  def('untilStep', ['int', 'int', 'int'], ([a, b, st], ctx) => untilStep(a as bigint, b as bigint, st as bigint, ctx));

  // Defaults and logic.
  def('default', ['any'], ([d, ...given]) => (given.length === 0 || !truth(given[0]) ? d : given[0]), 'any');
  def('empty', ['any'], ([v]) => !truth(v));
  def('coalesce', [], (args) => args.find((x) => truth(x)) ?? null, 'any');
  def('all', [], (args) => args.every((x) => truth(x)), 'any');
  def('any', [], (args) => args.some((x) => truth(x)), 'any');
  def('ternary', ['any', 'any', 'bool'], ([vt, vf, c]) => (c ? vt : vf));
  def('fail', ['string'], ([msg]) => {
    throw new FuncError(s(msg));
  });
  def('toJson', ['any'], ([v]) => {
    try {
      return goJSON(v);
    } catch {
      return '';
    }
  });
  def('toPrettyJson', ['any'], ([v]) => {
    try {
      return goJSON(v, '  ');
    } catch {
      return '';
    }
  });
  def('toRawJson', ['any'], ([v]) => goJSON(v, '', true));
  def('mustToJson', ['any'], ([v]) => goJSON(v));
  def('fromJson', ['string'], ([a]) => {
    try {
      return fromJSONText(s(a));
    } catch {
      return '';
    }
  });
  def('mustFromJson', ['string'], ([a]) => {
    try {
      return fromJSONText(s(a));
    } catch (e) {
      throw new FuncError(e instanceof Error ? e.message : String(e));
    }
  });
  def('b64enc', ['string'], ([a]) => Buffer.from(s(a), 'utf8').toString('base64'));
  def('b64dec', ['string'], ([a]) => {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s(a)) || s(a).length % 4 !== 0) return 'illegal base64 data at input byte 0';
    return Buffer.from(s(a), 'base64').toString('utf8');
  });
  def('kindOf', ['any'], ([v]) => kindOf(v));
  def('kindIs', ['string', 'any'], ([k, v]) => kindOf(v) === k);
  def('typeOf', ['any'], ([v]) => typeName(v));
  def('typeIs', ['string', 'any'], ([t, v]) => typeName(v) === t);
  def('deepEqual', ['any', 'any'], ([a, b]) => deepEqual(a, b));

  // Lists.
  def('list', [], (args) => args.map((x) => (x === undefined ? null : x)), 'any');
  def('first', ['any'], ([l]) => list(l, 'find first').at(0) ?? null);
  def('last', ['any'], ([l]) => list(l, 'find last').at(-1) ?? null);
  def('rest', ['any'], ([l]) => list(l, 'find rest').slice(1));
  def('initial', ['any'], ([l]) => list(l, 'find initial').slice(0, -1));
  def('append', ['any', 'any'], ([l, v]) => [...list(l, 'push'), v ?? null]);
  def('push', ['any', 'any'], ([l, v]) => [...list(l, 'push'), v ?? null]);
  def('prepend', ['any', 'any'], ([l, v]) => [v ?? null, ...list(l, 'prepend')]);
  def('concat', [], (ls) => ls.flatMap((l) => list(l, 'concat')), 'any');
  def('reverse', ['any'], ([l]) => [...list(l, 'reverse')].reverse());
  def('uniq', ['any'], ([l]) => {
    const out: Value[] = [];
    for (const x of list(l, 'uniq')) if (!out.some((y) => deepEqual(x, y))) out.push(x);
    return out;
  });
  def(
    'without',
    ['any'],
    ([l, ...omit]) => list(l, 'without').filter((x) => !omit.some((o) => deepEqual(x, o))),
    'any',
  );
  def('has', ['any', 'any'], ([needle, hay]) =>
    hay === null || hay === undefined ? false : list(hay, 'has').some((x) => deepEqual(x, needle)),
  );
  def('compact', ['any'], ([l]) => list(l, 'compact').filter((x) => truth(x)));
  def(
    'seq',
    [],
    (args, ctx) => {
      const p = args as bigint[];
      let start: bigint;
      let end: bigint;
      let step: bigint;
      let inc = 1n;
      if (p.length === 1) {
        [start, end] = [1n, p[0]];
        if (end < start) inc = -1n;
        step = inc;
      } else if (p.length === 2) {
        [start, end] = [p[0], p[1]];
        if (end < start) inc = -1n;
        step = inc;
      } else if (p.length === 3) {
        [start, step, end] = [p[0], p[1], p[2]];
        if (end < start) {
          inc = -1n;
          if (step > 0n) return '';
        }
      } else {
        return '';
      }
      return untilStep(start, end + inc, step, ctx).join(' ');
    },
    'int',
  );

  // Dictionaries.
  def(
    'dict',
    [],
    (args) => {
      const m = newMap();
      for (let i = 0; i < args.length; i += 2) m[strval(args[i])] = i + 1 < args.length ? (args[i + 1] ?? null) : '';
      return m;
    },
    'any',
  );
  def('get', ['map', 'string'], ([d, k]) => (d && Object.hasOwn(d as GoMap, s(k)) ? ((d as GoMap)[s(k)] ?? null) : ''));
  def('set', ['map', 'string', 'any'], ([d, k, v]) => {
    const m = (d ?? newMap()) as GoMap;
    m[s(k)] = v ?? null;
    return m;
  });
  def('unset', ['map', 'string'], ([d, k]) => {
    const m = (d ?? newMap()) as GoMap;
    delete m[s(k)];
    return m;
  });
  def('hasKey', ['map', 'string'], ([d, k]) => d !== null && Object.hasOwn(d as GoMap, s(k)));
  def('keys', [], (ds) => ds.flatMap((d) => (isMap(d) ? sortedKeys(d) : [])), 'map');
  def('values', ['map'], ([d]) => (isMap(d) ? sortedKeys(d).map((k) => d[k]) : []));
  def(
    'pick',
    ['map'],
    ([d, ...ks]) => {
      const m = newMap();
      for (const k of ks) if (isMap(d) && Object.hasOwn(d, s(k))) m[s(k)] = d[s(k)];
      return m;
    },
    'string',
  );
  def(
    'omit',
    ['map'],
    ([d, ...ks]) => {
      const m = newMap();
      if (isMap(d)) for (const k of Object.keys(d)) if (!ks.includes(k)) m[k] = d[k];
      return m;
    },
    'string',
  );

  // Regular expressions (RE2 syntax, linear time).
  def('regexMatch', ['string', 'string'], ([re, a]) => regex(s(re)).test(s(a)));
  def('regexFind', ['string', 'string'], ([re, a]) => findAll(regex(s(re)), s(a), 1)[0]?.[0] ?? '');
  def('regexFindAll', ['string', 'string', 'int'], ([re, a, c]) => findAll(regex(s(re)), s(a), n(c)).map((g) => g[0]));
  def('regexReplaceAll', ['string', 'string', 'string'], ([re, a, r]) => regexReplace(s(re), s(a), s(r), false));
  def('regexReplaceAllLiteral', ['string', 'string', 'string'], ([re, a, r]) => regexReplace(s(re), s(a), s(r), true));
  def('regexSplit', ['string', 'string', 'int'], ([re, a, c]) => {
    const parts = regex(s(re)).split(s(a), n(c) < 0 ? 0 : n(c));
    return n(c) === 0 ? [] : parts;
  });
  def('regexQuoteMeta', ['string'], ([a]) => s(a).replace(/[\\.+*?()|[\]{}^$]/g, '\\$&'));

  // Helm.
  def('include', ['string', 'any'], ([name, data], ctx) => ctx.include(s(name), data));
  def('tpl', ['string', 'any'], ([text, data], ctx) => ctx.tpl(s(text), data));
  def('required', ['string', 'any'], ([warn, v]) => {
    if (v === null || v === undefined || v === '') throw new FuncError(s(warn));
    return v;
  });
  return f;
}
