// The values templates work on, and how they map to Go's:
//   undefined -> no value (Go's invalid reflect.Value: a missing key, a nil data)
//   null      -> nil (a nil interface{}, as JSON null decodes)
//   boolean -> bool, string -> string, bigint -> int (64 bits), number -> float64
//   Value[] -> []interface{}, plain object -> map[string]interface{}, GoComplex -> complex128
// JSON numbers are float64, as Go's encoding/json decodes them into interface{}; number literals
// in templates are ints when they are written as integers.

export class GoComplex {
  constructor(
    readonly re: number,
    readonly im: number,
  ) {}
}

export type GoMap = { [key: string]: Value };
export type Value = undefined | null | boolean | string | number | bigint | GoComplex | Value[] | GoMap;

export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;

/** Wraps an integer result to 64 bits, as Go's int arithmetic does. */
export const int64 = (n: bigint): bigint => BigInt.asIntN(64, n);

export function isMap(v: Value): v is GoMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoComplex);
}

/** Go's name for the dynamic type of a value (%T, error messages). */
export function typeName(v: Value): string {
  if (v === undefined || v === null) return '<nil>';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'string':
      return 'string';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float64';
  }
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof GoComplex) return 'complex128';
  return 'map[string]interface {}';
}

/** Go's truth of a value for if, with, and, or, not. */
export function truth(v: Value): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'string':
      return v.length > 0;
    case 'bigint':
      return v !== 0n;
    case 'number':
      return v !== 0;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof GoComplex) return v.re !== 0 || v.im !== 0;
  return Object.keys(v).length > 0;
}

/** Compares strings by their UTF-8 bytes, the order Go sorts map keys in. */
export function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x < 0xe000;
    const ys = y >= 0xd800 && y < 0xe000;
    if (xs !== ys) return xs ? 1 : -1; // surrogates (code points > U+FFFF) sort after the BMP
    return x - y;
  }
  return a.length - b.length;
}

export function sortedKeys(m: GoMap): string[] {
  return Object.keys(m).sort(compareGoStrings);
}

/** Byte length of a string in UTF-8. */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Converts parsed JSON into template values: objects become maps, numbers float64. */
export function fromJSON(v: unknown): Value {
  if (v === null) return null;
  if (Array.isArray(v)) return v.map(fromJSON);
  if (typeof v === 'object') {
    const out: GoMap = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = fromJSON(x);
    return out;
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v;
  return null;
}
