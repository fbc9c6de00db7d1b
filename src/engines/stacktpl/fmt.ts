// Go's fmt for template values: Sprint, Sprintln, Sprintf with the verbs and flags that apply to
// bools, ints, float64s, complex128s, strings, slices and maps.

import { BudgetExceeded } from './errors.js';
import { GoComplex, isMap, sortedKeys, typeName, type Value } from './values.js';

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  wid: number;
  widPresent: boolean;
  prec: number;
  precPresent: boolean;
}

const noFlags = (): Flags => ({
  plus: false,
  minus: false,
  sharp: false,
  space: false,
  zero: false,
  wid: 0,
  widPresent: false,
  prec: 0,
  precPresent: false,
});

const runeCount = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

function pad(s: string, f: Flags, zeroOk = true): string {
  if (!f.widPresent || f.wid === 0) return s;
  const n = f.wid - runeCount(s);
  if (n <= 0) return s;
  if (f.minus) return s + ' '.repeat(n);
  return (f.zero && zeroOk ? '0' : ' ').repeat(n) + s;
}

// ---------------------------------------------------------------------------------------------
// Floats, as strconv.FormatFloat writes them.

function expString(exp: number): string {
  const sign = exp < 0 ? '-' : '+';
  const a = Math.abs(exp);
  return sign + (a < 10 ? `0${a}` : String(a));
}

/** Decimal digits (no trailing zeros) and decimal point position of |x|, shortest or to `sig` digits. */
function digitsOf(x: number, sig: number): { d: string; dp: number } {
  if (x === 0) return { d: '', dp: 0 };
  const e = sig < 0 ? x.toExponential() : x.toExponential(Math.min(Math.max(sig - 1, 0), 100));
  const [mant, exp] = e.split('e');
  const d = mant.replace('.', '').replace(/0+$/, '');
  return { d, dp: Number(exp) + 1 };
}

function fmtE(d: string, dp: number, prec: number, e: string): string {
  let s = d[0] ?? '0';
  if (prec > 0) s += `.${d.slice(1, prec + 1).padEnd(prec, '0')}`;
  const exp = d === '' ? 0 : dp - 1;
  return s + e + expString(exp);
}

function fmtF(d: string, dp: number, prec: number): string {
  let s: string;
  if (dp > 0) s = d.slice(0, dp).padEnd(dp, '0');
  else s = '0';
  if (prec > 0) {
    let frac = '';
    for (let i = 0; i < prec; i++) {
      const j = dp + i;
      frac += j >= 0 && j < d.length ? d[j] : '0';
    }
    s += `.${frac}`;
  }
  return s;
}

function fixed(x: number, prec: number): string {
  if (x < 1e21) return x.toFixed(Math.min(prec, 100)) + (prec > 100 ? '0'.repeat(prec - 100) : '');
  const int = BigInt(x).toString();
  return prec > 0 ? `${int}.${'0'.repeat(prec)}` : int;
}

/** strconv.FormatFloat(x, verb, prec, 64) for verbs e E f F g G; prec -1 means shortest. */
export function formatFloat(x: number, verb: string, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  const sign = neg ? '-' : '';
  const lower = verb.toLowerCase();
  const e = verb === 'E' || verb === 'G' ? 'E' : 'e';
  if (lower === 'f') {
    if (prec < 0) {
      const { d, dp } = digitsOf(a, -1);
      return sign + fmtF(d, dp, Math.max(d.length - dp, 0));
    }
    return sign + fixed(a, prec);
  }
  if (lower === 'e') {
    if (prec < 0) {
      const { d, dp } = digitsOf(a, -1);
      return sign + fmtE(d, dp, Math.max(d.length - 1, 0), e);
    }
    if (a === 0) return `${sign}${fmtE('0', 1, prec, e)}`;
    const [mant, exp] = a.toExponential(Math.min(prec, 100)).split('e');
    return `${sign + mant + (prec > 100 ? '0'.repeat(prec - 100) : '') + e + expString(Number(exp))}`;
  }
  // %g
  const shortest = prec < 0;
  let p = shortest ? -1 : prec === 0 ? 1 : prec;
  const { d, dp } = digitsOf(a, p);
  if (shortest) p = d.length;
  let eprec = p;
  if (eprec > d.length && d.length >= dp) eprec = d.length;
  if (shortest) eprec = 6;
  const exp = dp - 1;
  if (a !== 0 && (exp < -4 || exp >= eprec)) {
    if (p > d.length) p = d.length;
    return sign + fmtE(d, dp, p - 1, e);
  }
  if (a === 0) return `${sign}0`;
  if (p > dp) p = d.length;
  return sign + fmtF(d, dp, Math.max(p - dp, 0));
}

function signed(num: string, f: Flags): string {
  // num starts with '-' or not; add + or space as asked.
  let s = num;
  if (!s.startsWith('-')) {
    if (f.plus) s = `+${s}`;
    else if (f.space) s = ` ${s}`;
  }
  if (f.zero && !f.minus && f.widPresent && f.wid > s.length && !/[IN]/.test(s)) {
    const signChar = /^[-+ ]/.test(s) ? s[0] : '';
    const body = signChar ? s.slice(1) : s;
    return signChar + '0'.repeat(f.wid - s.length) + body;
  }
  return pad(s, f, false);
}

function fmtFloatVerb(x: number, verb: string, f: Flags): string {
  let prec = f.precPresent ? f.prec : verb === 'v' || verb === 'g' || verb === 'G' ? -1 : 6;
  const v = verb === 'v' ? 'g' : verb === 'F' ? 'f' : verb;
  if (f.sharp && v.toLowerCase() === 'g' && prec < 0) prec = -1;
  let s = formatFloat(x, v, prec);
  if (s === 'NaN' && (f.plus || f.space)) s = f.plus ? '+NaN' : ' NaN';
  else if (s === '+Inf' && !f.plus) s = f.space ? ' Inf' : 'Inf';
  return signed(s, f);
}

// ---------------------------------------------------------------------------------------------
// Strings.

const isPrintable = (ch: string) => ch === ' ' || !/[\p{C}\p{Z}]/u.test(ch);

/** strconv.Quote (ascii: QuoteToASCII). */
export function quoteGo(s: string, ascii = false, quote = '"'): string {
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') {
      out += `\\${ch}`;
      continue;
    }
    if (cp < 0x80 ? cp >= 0x20 && cp !== 0x7f : !ascii && isPrintable(ch) && !(cp >= 0xd800 && cp < 0xe000)) {
      out += ch;
      continue;
    }
    switch (ch) {
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0xd800 && cp < 0xe000) out += '\\ufffd';
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + quote;
}

const canBackquote = (s: string) => !/[`\p{C}]/u.test(s.replaceAll('\t', '')) && !s.includes('\uFFFD');

function fmtString(s: string, verb: string, f: Flags): string {
  switch (verb) {
    case 'v':
    case 's': {
      let t = s;
      if (f.precPresent) t = Array.from(t).slice(0, f.prec).join('');
      return pad(t, f);
    }
    case 'q': {
      let t = s;
      if (f.precPresent) t = Array.from(t).slice(0, f.prec).join('');
      if (f.sharp && canBackquote(t)) return pad(`\`${t}\``, f);
      return pad(quoteGo(t, f.plus), f);
    }
    case 'x':
    case 'X': {
      let bytes = Buffer.from(s, 'utf8');
      if (f.precPresent) bytes = bytes.subarray(0, f.prec);
      const digits = verb === 'x' ? '0123456789abcdef' : '0123456789ABCDEF';
      const parts: string[] = [];
      for (const b of bytes) parts.push(digits[b >> 4] + digits[b & 15]);
      const prefix = verb === 'x' ? '0x' : '0X';
      let out: string;
      if (f.space) out = parts.map((p) => (f.sharp ? prefix + p : p)).join(' ');
      else out = (f.sharp && parts.length > 0 ? prefix : '') + parts.join('');
      return pad(out, f);
    }
  }
  return badVerb(verb, s);
}

// ---------------------------------------------------------------------------------------------
// Integers.

function fmtInteger(n: bigint, verb: string, f: Flags): string {
  const negative = n < 0n;
  const u = negative ? -n : n;
  let base = 10;
  switch (verb) {
    case 'b':
      base = 2;
      break;
    case 'o':
    case 'O':
      base = 8;
      break;
    case 'x':
    case 'X':
      base = 16;
      break;
  }
  let prec = 0;
  if (f.precPresent) {
    prec = f.prec;
    if (prec === 0 && u === 0n) return pad('', { ...f, zero: false });
  } else if (f.zero && !f.minus && f.widPresent) {
    prec = f.wid;
    if (negative || f.plus || f.space) prec--;
  }
  let digits = u.toString(base);
  if (verb === 'X') digits = digits.toUpperCase();
  if (digits.length < prec) digits = '0'.repeat(prec - digits.length) + digits;
  if (f.sharp) {
    if (base === 2) digits = `0b${digits}`;
    else if (base === 8 && digits[0] !== '0') digits = `0${digits}`;
    else if (base === 16) digits = (verb === 'X' ? '0X' : '0x') + digits;
  }
  if (verb === 'O') digits = `0o${digits}`;
  if (negative) digits = `-${digits}`;
  else if (f.plus) digits = `+${digits}`;
  else if (f.space) digits = ` ${digits}`;
  return pad(digits, { ...f, zero: false });
}

function fmtInt(n: bigint, verb: string, f: Flags): string {
  switch (verb) {
    case 'v':
    case 'd':
    case 'b':
    case 'o':
    case 'O':
    case 'x':
    case 'X':
      return fmtInteger(n, verb === 'v' ? 'd' : verb, f);
    case 'c':
      return pad(runeString(n), f);
    case 'q':
      return pad(quoteGo(runeString(n), f.plus, "'"), f);
    case 'U': {
      const hex = (n < 0n ? -n : n).toString(16).toUpperCase().padStart(4, '0');
      let s = `U+${hex}`;
      if (f.sharp && n >= 0n && n <= 0x10ffffn && isPrintable(runeString(n))) s += ` '${runeString(n)}'`;
      return pad(s, { ...f, zero: false });
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
      return badVerb(verb, n);
  }
  return badVerb(verb, n);
}

function runeString(n: bigint): string {
  if (n < 0n || n > 0x10ffffn || (n >= 0xd800n && n < 0xe000n)) return '\uFFFD';
  return String.fromCodePoint(Number(n));
}

// ---------------------------------------------------------------------------------------------
// Any value.

function badVerb(verb: string, v: Value): string {
  if (v === undefined || v === null) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v)}=${formatValue(v, 'v', noFlags(), 0)})`;
}

function sharpV(v: Value, depth: number): string {
  if (v === undefined || v === null) return depth === 0 ? '<nil>' : 'interface {}(nil)';
  if (typeof v === 'string') return quoteGo(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    const s = formatFloat(v, 'g', -1);
    return /[.eEn]/.test(s) || s.includes('Inf') ? s : `${s}`;
  }
  if (typeof v === 'boolean') return String(v);
  if (v instanceof GoComplex) return formatValue(v, 'v', noFlags(), depth);
  if (Array.isArray(v)) return `[]interface {}{${v.map((x) => sharpV(x, depth + 1)).join(', ')}}`;
  const keys = sortedKeys(v);
  return `map[string]interface {}{${keys.map((k) => `${quoteGo(k)}:${sharpV(v[k], depth + 1)}`).join(', ')}}`;
}

/** Formats one value with a verb, as fmt's printValue does for the types templates handle. */
export function formatValue(v: Value, verb: string, f: Flags, depth: number): string {
  if (verb === 'T') return pad(typeName(v), f);
  if (verb === 'v' && f.sharp) return pad(sharpV(v, depth), f);
  if (v === undefined || v === null) {
    if (verb === 'v') return pad('<nil>', f);
    return badVerb(verb, v);
  }
  if (verb === 'p') return badVerb(verb, v);
  switch (typeof v) {
    case 'boolean':
      if (verb === 't' || verb === 'v') return pad(String(v), f);
      return badVerb(verb, v);
    case 'bigint':
      return fmtInt(v, verb, f);
    case 'number':
      if ('vbgGxXfFeE'.includes(verb) && verb !== 'b' && verb !== 'x' && verb !== 'X') return fmtFloatVerb(v, verb, f);
      return badVerb(verb, v);
    case 'string':
      return fmtString(v, verb, f);
  }
  if (v instanceof GoComplex) {
    if (!'vgGfFeE'.includes(verb)) return badVerb(verb, v);
    const inner: Flags = { ...f, widPresent: false, wid: 0 };
    const re = fmtFloatVerb(v.re, verb, inner);
    const im = fmtFloatVerb(v.im, verb, { ...inner, plus: true });
    return pad(`(${re}${im}i)`, f);
  }
  if (Array.isArray(v)) {
    return `[${v.map((x) => formatValue(x, verb, f, depth + 1)).join(' ')}]`;
  }
  if (isMap(v)) {
    const parts = sortedKeys(v).map(
      (k) => `${formatValue(k, verb, f, depth + 1)}:${formatValue(v[k], verb, f, depth + 1)}`,
    );
    return `map[${parts.join(' ')}]`;
  }
  return badVerb(verb, v);
}

/** A value as Go's %v prints it (what {{.}} writes). */
export function formatV(v: Value): string {
  return formatValue(v, 'v', noFlags(), 0);
}

/** fmt.Sprint: spaces between operands when neither is a string. */
export function sprint(args: Value[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a, 'v', noFlags(), 0);
  }
  return out;
}

/** fmt.Sprintln: spaces between all operands and a newline. */
export function sprintln(args: Value[]): string {
  return `${args.map((a) => formatValue(a, 'v', noFlags(), 0)).join(' ')}\n`;
}

/** fmt.Sprintf. `limit` bounds widths and precisions (a budget, not a Go rule). */
export function sprintf(format: string, args: Value[], limit = Number.POSITIVE_INFINITY): string {
  let out = '';
  let argNum = 0;
  let reordered = false;
  let goodArgNum = true;
  let i = 0;
  const end = format.length;
  const parseNum = (): number | null => {
    const m = /^\d+/.exec(format.slice(i));
    if (!m) return null;
    i += m[0].length;
    const n = Number(m[0]);
    if (n > limit) throw new BudgetExceeded(`printf width or precision ${n} exceeds the output budget`);
    return n;
  };
  const argIndex = () => {
    if (i >= end || format[i] !== '[') return;
    reordered = true;
    const close = format.indexOf(']', i);
    const n = close > 0 ? Number(format.slice(i + 1, close)) : Number.NaN;
    if (close < 0 || !Number.isInteger(n) || n < 1 || n > args.length) {
      goodArgNum = false;
      i = close < 0 ? end : close + 1;
      return;
    }
    argNum = n - 1;
    i = close + 1;
  };
  const intArg = (): number | null => {
    if (argNum >= args.length) return null;
    const a = args[argNum++];
    if (typeof a !== 'bigint') return null;
    const n = Number(a);
    if (Math.abs(n) > limit) throw new BudgetExceeded(`printf width or precision ${n} exceeds the output budget`);
    return n;
  };
  while (i < end) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f = noFlags();
    goodArgNum = true;
    flags: for (; i < end; i++) {
      switch (format[i]) {
        case '#':
          f.sharp = true;
          break;
        case '0':
          f.zero = !f.minus;
          break;
        case '+':
          f.plus = true;
          break;
        case '-':
          f.minus = true;
          f.zero = false;
          break;
        case ' ':
          f.space = true;
          break;
        default:
          break flags;
      }
    }
    argIndex();
    if (i < end && format[i] === '*') {
      i++;
      const w = intArg();
      if (w === null) {
        out += '%!(BADWIDTH)';
      } else {
        f.wid = Math.abs(w);
        f.widPresent = true;
        if (w < 0) {
          f.minus = true;
          f.zero = false;
        }
      }
    } else {
      const w = parseNum();
      if (w !== null) {
        f.wid = w;
        f.widPresent = true;
      }
    }
    if (i < end && format[i] === '.') {
      i++;
      argIndex();
      if (i < end && format[i] === '*') {
        i++;
        const p = intArg();
        if (p === null || p < 0) {
          out += '%!(BADPREC)';
        } else {
          f.prec = p;
          f.precPresent = true;
        }
      } else {
        f.prec = parseNum() ?? 0;
        f.precPresent = true;
      }
    }
    if (!f.minus && f.zero === false && format[pct + 1] === '0') f.zero = true;
    argIndex();
    if (i >= end) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (!goodArgNum) {
      out += `%!${verb}(BADINDEX)`;
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const a = args[argNum++];
    if (verb === 'w') {
      out += badVerb(verb, a);
      continue;
    }
    out += formatValue(a, verb, f, 0);
  }
  if (!reordered && argNum < args.length) {
    const extra = args
      .slice(argNum)
      .map((a) => (a === undefined || a === null ? '<nil>' : `${typeName(a)}=${formatValue(a, 'v', noFlags(), 0)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}
