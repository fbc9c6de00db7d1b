// Go literal syntax: numbers as strconv reads them (ParseInt/ParseUint with base 0, ParseFloat),
// and quoted strings and character constants as strconv.Unquote reads them.

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** Go's underscoreOK: underscores only between digits, or between a base prefix and a digit. */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1])) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i];
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** strconv.ParseInt(text, 0, 64) or ParseUint: the value, or null when it does not parse or overflows. */
export function parseGoInteger(text: string, unsigned: boolean): bigint | null {
  let s = text;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    if (unsigned) return null;
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '') return null;
  let base = 10;
  let digits = s;
  if (s.length >= 2 && s[0] === '0') {
    const p = s[1].toLowerCase();
    if (p === 'x') [base, digits] = [16, s.slice(2)];
    else if (p === 'o') [base, digits] = [8, s.slice(2)];
    else if (p === 'b') [base, digits] = [2, s.slice(2)];
    else [base, digits] = [8, s.slice(1)];
  }
  if (digits.includes('_')) {
    if (!underscoreOK(text)) return null;
    digits = digits.replaceAll('_', '');
  }
  if (digits === '') return null;
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[base as 2 | 8 | 10 | 16];
  if (!valid.test(digits)) return null;
  const prefix = { 2: '0b', 8: '0o', 10: '', 16: '0x' }[base as 2 | 8 | 10 | 16];
  let v = BigInt(prefix + digits);
  if (neg) v = -v;
  if (unsigned) return v <= UINT64_MAX ? v : null;
  return v >= INT64_MIN && v <= INT64_MAX ? v : null;
}

/** strconv.ParseFloat(text, 64): the value, or null when it does not parse. */
export function parseGoFloat(text: string): number | null {
  let s = text;
  if (s.includes('_')) {
    if (!underscoreOK(s)) return null;
    s = s.replaceAll('_', '');
  }
  let sign = 1;
  if (s[0] === '+' || s[0] === '-') {
    sign = s[0] === '-' ? -1 : 1;
    s = s.slice(1);
  }
  const hex = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(s);
  if (hex) {
    const [, intPart, fracPart = '', exp] = hex;
    if (intPart === '' && fracPart === '') return null;
    let mantissa = 0;
    for (const c of intPart + fracPart) mantissa = mantissa * 16 + Number.parseInt(c, 16);
    return sign * mantissa * 2 ** (Number(exp) - 4 * fracPart.length);
  }
  if (!/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
  return sign * Number(s);
}

function utf8Bytes(cp: number, out: number[]) {
  for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out.push(b);
}

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
  "'": 39,
  '"': 34,
};

/**
 * Reads one character or escape of a Go quoted literal at `i`; pushes its UTF-8 bytes.
 * Returns the index after it, or -1 on a bad escape. `quote` is the enclosing quote character.
 */
function unquoteChar(s: string, i: number, quote: string, out: number[]): number {
  const c = s[i];
  if (c !== '\\') {
    const cp = s.codePointAt(i)!;
    if (c === quote && (quote === "'" || quote === '"')) return -1;
    utf8Bytes(cp, out);
    return i + (cp > 0xffff ? 2 : 1);
  }
  const e = s[i + 1];
  if (e === undefined) return -1;
  if (e in SIMPLE_ESCAPES) {
    if ((e === "'" && quote !== "'") || (e === '"' && quote !== '"')) return -1;
    out.push(SIMPLE_ESCAPES[e]);
    return i + 2;
  }
  if (e === 'x' || e === 'u' || e === 'U') {
    const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
    const hex = s.slice(i + 2, i + 2 + n);
    if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) return -1;
    const v = Number.parseInt(hex, 16);
    if (e === 'x') out.push(v);
    else {
      if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) return -1;
      utf8Bytes(v, out);
    }
    return i + 2 + n;
  }
  if (e >= '0' && e <= '7') {
    const oct = s.slice(i + 1, i + 4);
    if (!/^[0-7]{3}$/.test(oct)) return -1;
    const v = Number.parseInt(oct, 8);
    if (v > 255) return -1;
    out.push(v);
    return i + 4;
  }
  return -1;
}

/** strconv.Unquote for "..." and `...` literals. Returns null on invalid syntax. */
export function unquoteGoString(quoted: string): string | null {
  if (quoted.length < 2) return null;
  const q = quoted[0];
  if (quoted[quoted.length - 1] !== q) return null;
  const body = quoted.slice(1, -1);
  if (q === '`') {
    if (body.includes('`')) return null;
    return body.replaceAll('\r', '');
  }
  if (q !== '"') return null;
  if (!body.includes('\\')) return body.includes('"') || body.includes('\n') ? null : body;
  const out: number[] = [];
  for (let i = 0; i < body.length; ) {
    if (body[i] === '\n') return null;
    i = unquoteChar(body, i, '"', out);
    if (i < 0) return null;
  }
  return Buffer.from(out).toString('utf8');
}

/** The code point of a Go character constant such as 'a', '\n' or '\u00e9'; null if malformed. */
export function parseGoChar(quoted: string): number | null {
  if (quoted.length < 3 || quoted[0] !== "'" || quoted[quoted.length - 1] !== "'") return null;
  const body = quoted.slice(1, -1);
  const out: number[] = [];
  const end = unquoteChar(body, 0, "'", out);
  if (end !== body.length) return null;
  if (body[0] === '\\' && (body[1] === 'x' || (body[1] >= '0' && body[1] <= '7'))) return out[0];
  return Buffer.from(out).toString('utf8').codePointAt(0) ?? null;
}

/** What a number literal can be, as Go's parse.NumberNode records it. */
export interface GoNumber {
  isInt: boolean;
  isUint: boolean;
  isFloat: boolean;
  isComplex: boolean;
  int: bigint;
  uint: bigint;
  float: number;
  re: number;
  im: number;
}

function simplifyComplex(n: GoNumber, re: number, im: number): GoNumber {
  n.isComplex = true;
  n.re = re;
  n.im = im;
  if (im === 0) {
    n.isFloat = true;
    n.float = re;
    if (Number.isInteger(re) && Math.abs(re) < 2 ** 63) {
      n.isInt = true;
      n.int = BigInt(re);
    }
    if (Number.isInteger(re) && re >= 0 && re < 2 ** 64) {
      n.isUint = true;
      n.uint = BigInt(re);
    }
  }
  return n;
}

/**
 * Reads a number literal as Go's parse.newNumber does: the kinds it fits (int, uint, float, complex)
 * and its value in each. Returns an error message when it is no number.
 */
export function goNumber(text: string, kind: 'number' | 'char' | 'complex'): GoNumber | string {
  const n: GoNumber = {
    isInt: false,
    isUint: false,
    isFloat: false,
    isComplex: false,
    int: 0n,
    uint: 0n,
    float: 0,
    re: 0,
    im: 0,
  };
  if (kind === 'char') {
    const cp = parseGoChar(text);
    if (cp === null) return `malformed character constant: ${text}`;
    n.isInt = n.isUint = n.isFloat = true;
    n.int = n.uint = BigInt(cp);
    n.float = cp;
    return n;
  }
  if (kind === 'complex') {
    const m = /^([+-]?[^+-]+(?:[eEpP][+-]\d+)?)([+-].*)i$/.exec(text);
    const re = m ? parseGoFloat(m[1]) : null;
    const im = m ? parseGoFloat(m[2]) : null;
    if (re === null || im === null) return `illegal number syntax: ${JSON.stringify(text)}`;
    return simplifyComplex(n, re, im);
  }
  if (text.endsWith('i')) {
    const f = parseGoFloat(text.slice(0, -1));
    if (f !== null) return simplifyComplex(n, 0, f);
  }
  const u = parseGoInteger(text, true);
  if (u !== null) {
    n.isUint = true;
    n.uint = u;
  }
  const i = parseGoInteger(text, false);
  if (i !== null) {
    n.isInt = true;
    n.int = i;
    if (i === 0n) {
      n.isUint = true;
      n.uint = 0n;
    }
  }
  if (n.isInt) {
    n.isFloat = true;
    n.float = Number(n.int);
  } else if (n.isUint) {
    n.isFloat = true;
    n.float = Number(n.uint);
  } else {
    const f = parseGoFloat(text);
    if (f !== null) {
      if (!/[.eEpP]/.test(text)) return `integer overflow: ${JSON.stringify(text)}`;
      n.isFloat = true;
      n.float = f;
      if (Number.isInteger(f) && f >= -(2 ** 63) && f < 2 ** 63) {
        n.isInt = true;
        n.int = BigInt(f);
      }
      if (Number.isInteger(f) && f >= 0 && f < 2 ** 64) {
        n.isUint = true;
        n.uint = BigInt(f);
      }
    }
  }
  if (!n.isInt && !n.isUint && !n.isFloat) return `illegal number syntax: ${JSON.stringify(text)}`;
  return n;
}
