// Rego values: null, booleans, numbers, strings and arrays are plain JavaScript values; objects and sets
// are classes keyed by a canonical string, because Rego allows any value as an object key or set member.
// `undefined` is Rego's "undefined", never a value.

export type Value = null | boolean | number | string | Value[] | RObject | RSet;

/** The canonical key of a value: the string itself for strings, a tagged encoding for everything else. */
export function keyOf(v: Value): string {
  if (typeof v === 'string') return v.length > 0 && v.charCodeAt(0) === 0 ? `\u0000s${v}` : v;
  return `\u0000${canonical(v)}`;
}

function canonical(v: Value): string {
  if (v === null) return 'n';
  switch (typeof v) {
    case 'boolean':
      return v ? 't' : 'f';
    case 'number':
      return `#${v}`;
    case 'string':
      return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v instanceof RSet) return `<${v.sorted().map(canonical).join(',')}>`;
  return `{${v
    .sortedEntries()
    .map(([k, x]) => `${canonical(k)}:${canonical(x)}`)
    .join(',')}}`;
}

export class RObject {
  /** Values by canonical key: the key itself for strings, so string lookups need no encoding. */
  private vals: Map<string, Value> | null = null;
  /** The original keys of entries whose canonical key is an encoding (keys that are not plain strings). */
  private nk: Map<string, Value> | null = null;
  /** Entries in key order, computed on first use (Rego iterates objects in key order). */
  private order: [Value, Value][] | null = null;
  /**
   * A parsed JSON object not yet converted: members are converted when first read, so a policy that
   * reads a few fields of a large document does not pay for converting all of it.
   */
  private src: Record<string, unknown> | null = null;
  private srcSize = 0;

  /** A lazy view of a parsed JSON object (which must not change while it is in use). */
  static lazy(src: Record<string, unknown>): RObject {
    const o = new RObject();
    o.src = src;
    o.srcSize = Object.keys(src).length;
    return o;
  }

  /** The map of canonical keys to values (converting a lazy object fully). */
  get m(): Map<string, Value> {
    if (this.src) this.load();
    return this.store();
  }

  private store(): Map<string, Value> {
    this.vals ??= new Map();
    return this.vals;
  }

  private load(): void {
    const src = this.src!;
    this.src = null;
    const vals = this.store();
    for (const k of Object.keys(src)) {
      if (k.length > 0 && k.charCodeAt(0) === 0) {
        if (!vals.has(keyOf(k))) this.set(k, fromJSON(src[k]));
      } else if (!vals.has(k)) vals.set(k, fromJSON(src[k]));
    }
  }

  get size(): number {
    return this.src ? this.srcSize : (this.vals?.size ?? 0);
  }
  get(k: Value): Value | undefined {
    if (typeof k === 'string' && (k.length === 0 || k.charCodeAt(0) !== 0)) {
      const v = this.vals?.get(k);
      if (v !== undefined || this.src === null) return v;
      const src = this.src;
      if (!Object.hasOwn(src, k)) return undefined;
      const raw = src[k];
      // Scalars need no conversion (nor a cache entry); arrays and objects are converted once.
      if (raw === null || raw === undefined) return null;
      if (typeof raw !== 'object') return raw as Value;
      const x = fromJSON(raw);
      this.store().set(k, x);
      return x;
    }
    if (this.src) this.load();
    return this.vals?.get(keyOf(k));
  }
  has(k: Value): boolean {
    return this.get(k) !== undefined;
  }
  set(k: Value, v: Value): this {
    if (this.src) this.load();
    const c = keyOf(k);
    if (c !== k) {
      this.nk ??= new Map();
      this.nk.set(c, k);
    }
    this.store().set(c, v);
    this.order = null;
    return this;
  }
  delete(k: Value): void {
    if (this.src) this.load();
    const c = keyOf(k);
    this.vals?.delete(c);
    this.nk?.delete(c);
    this.order = null;
  }
  private keyAt(c: string): Value {
    return c.length > 0 && c.charCodeAt(0) === 0 ? (this.nk?.get(c) as Value) : c;
  }
  *entries(): IterableIterator<[Value, Value]> {
    for (const [c, v] of this.m) yield [this.keyAt(c), v];
  }
  keys(): Value[] {
    return [...this.m.keys()].map((c) => this.keyAt(c));
  }
  sortedEntries(): [Value, Value][] {
    const m = this.m;
    if (this.order && this.order.length === m.size) return this.order;
    if (this.nk === null) {
      const codes = [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      this.order = codes.map((c) => [c, m.get(c) as Value]);
    } else {
      this.order = [...this.entries()].sort((a, b) => compare(a[0], b[0]));
    }
    return this.order;
  }
  clone(): RObject {
    const o = new RObject();
    const into = o.store();
    for (const [c, v] of this.m) into.set(c, v);
    if (this.nk) o.nk = new Map(this.nk);
    return o;
  }
  static from(entries: Iterable<[Value, Value]>): RObject {
    const o = new RObject();
    for (const [k, v] of entries) o.set(k, v);
    return o;
  }
}

export class RSet {
  readonly m = new Map<string, Value>();
  private order: Value[] | null = null;
  get size(): number {
    return this.m.size;
  }
  has(v: Value): boolean {
    return this.m.has(keyOf(v));
  }
  add(v: Value): this {
    const k = keyOf(v);
    if (!this.m.has(k)) {
      this.m.set(k, v);
      this.order = null;
    }
    return this;
  }
  values(): IterableIterator<Value> {
    return this.m.values();
  }
  /** Members in Rego's order (sets iterate sorted); computed once per set. */
  sorted(): Value[] {
    if (this.order && this.order.length === this.m.size) return this.order;
    this.order = [...this.m.values()].sort(compare);
    return this.order;
  }
  static from(items: Iterable<Value>): RSet {
    const s = new RSet();
    for (const v of items) s.add(v);
    return s;
  }
}

/** Rego's type names, as `type_name` returns them. */
export function typeName(v: Value): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
  }
  if (Array.isArray(v)) return 'array';
  if (v instanceof RSet) return 'set';
  return 'object';
}

function rank(v: Value): number {
  if (v === null) return 0;
  switch (typeof v) {
    case 'boolean':
      return 1;
    case 'number':
      return 2;
    case 'string':
      return 3;
  }
  if (Array.isArray(v)) return 4;
  if (v instanceof RObject) return 5;
  return 6;
}

/** The total order of Rego values: null < booleans < numbers < strings < arrays < objects < sets. */
export function compare(a: Value, b: Value): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return a === b ? 0 : a ? 1 : -1;
    case 2:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 3:
      return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
    case 4: {
      const x = a as Value[];
      const y = b as Value[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compare(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length < 0 ? -1 : x.length > y.length ? 1 : 0;
    }
    case 5: {
      const x = (a as RObject).sortedEntries();
      const y = (b as RObject).sortedEntries();
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compare(x[i][0], y[i][0]);
        if (c !== 0) return c;
        const d = compare(x[i][1], y[i][1]);
        if (d !== 0) return d;
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
    }
    default: {
      const x = (a as RSet).sorted();
      const y = (b as RSet).sorted();
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compare(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
    }
  }
}

export function equal(a: Value, b: Value): boolean {
  if (a === b) return true;
  const ta = typeof a;
  if (ta !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof RObject) {
    if (!(b instanceof RObject) || a.size !== b.size) return false;
    for (const [c, v] of a.m) {
      const x = b.m.get(c);
      if (x === undefined || !equal(v, x)) return false;
    }
    return true;
  }
  if (a instanceof RSet) {
    if (!(b instanceof RSet) || a.size !== b.size) return false;
    for (const k of a.m.keys()) if (!b.m.has(k)) return false;
    return true;
  }
  return false;
}

/** A JSON document (as JSON.parse returns it) as a Rego value. */
export function fromJSON(v: unknown): Value {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return v;
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'object': {
      if (Array.isArray(v)) {
        const out: Value[] = new Array(v.length);
        for (let i = 0; i < v.length; i++) out[i] = fromJSON(v[i]);
        return out;
      }
      if (v instanceof RObject || v instanceof RSet) return v;
      if (v instanceof Set) return RSet.from([...v].map(fromJSON));
      if (v instanceof Map) return RObject.from([...v].map(([k, x]) => [fromJSON(k), fromJSON(x)]));
      return RObject.lazy(v as Record<string, unknown>);
    }
  }
  throw new TypeError(`not a JSON value: ${typeof v}`);
}

/**
 * A Rego value as plain JSON: sets become sorted arrays, objects with non-string keys get their keys
 * serialized as JSON text (as OPA does when it prints such an object).
 */
export function toJSON(v: Value): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(toJSON);
  if (v instanceof RSet) return v.sorted().map(toJSON);
  const out: Record<string, unknown> = {};
  for (const [k, x] of v.sortedEntries()) out[typeof k === 'string' ? k : stringify(k)] = toJSON(x);
  return out;
}

/** Rego's JSON text of a value (sets as arrays), as `json.marshal` produces it. */
export function stringify(v: Value): string {
  return JSON.stringify(toJSON(v));
}

/** The text `sprintf("%v")` and `print` show for a value: JSON with sets in braces. */
export function display(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return `[${v.map(display).join(', ')}]`;
  if (v instanceof RSet) return v.size === 0 ? 'set()' : `{${v.sorted().map(display).join(', ')}}`;
  return `{${v
    .sortedEntries()
    .map(([k, x]) => `${display(k)}: ${display(x)}`)
    .join(', ')}}`;
}

export function isObject(v: Value | undefined): v is RObject {
  return v instanceof RObject;
}
export function isSet(v: Value | undefined): v is RSet {
  return v instanceof RSet;
}

/** Truthiness of an expression's value: only `false` (and undefined) fail a body. */
export function isTrue(v: Value | undefined): boolean {
  return v !== undefined && v !== false;
}
