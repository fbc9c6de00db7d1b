// Objects, arrays and sets.
import { equal, RObject, RSet, type Value } from '../values.js';
import { arr, BuiltinError, collection, def, int, obj, set } from './registry.js';

def('object.get', 3, (args) => {
  const o = obj('object.get', args, 0);
  const key = args[1];
  if (Array.isArray(key)) {
    let cur: Value = o;
    for (const k of key) {
      const next = index(cur, k);
      if (next === undefined) return args[2];
      cur = next;
    }
    return cur;
  }
  const v = o.get(key);
  return v === undefined ? args[2] : v;
});

function index(v: Value, k: Value): Value | undefined {
  if (v instanceof RObject) return v.get(k);
  if (Array.isArray(v))
    return typeof k === 'number' && Number.isInteger(k) && k >= 0 && k < v.length ? v[k] : undefined;
  if (v instanceof RSet) return v.has(k) ? k : undefined;
  return undefined;
}

def('object.keys', 1, (args) => RSet.from(obj('object.keys', args, 0).keys()));
def('object.values', 1, (args) => [...obj('object.values', args, 0).entries()].map((e) => e[1]));

function merge(a: RObject, b: RObject): RObject {
  const out = a.clone();
  for (const [key, v] of b.entries()) {
    const old = out.get(key);
    out.set(key, old instanceof RObject && v instanceof RObject ? merge(old, v) : v);
  }
  return out;
}
def('object.union', 2, (args) => merge(obj('object.union', args, 0), obj('object.union', args, 1)));
def('object.union_n', 1, (args) => {
  let out = new RObject();
  for (const o of arr('object.union_n', args, 0)) {
    if (!(o instanceof RObject)) throw new BuiltinError('object.union_n: operand 1 must be array of objects');
    out = merge(out, o);
  }
  return out;
});

function keysOf(name: string, v: Value): Value[] {
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return [...v.values()];
  if (v instanceof RObject) return v.keys();
  if (typeof v === 'string') return [v];
  throw new BuiltinError(`${name}: operand 2 must be one of {array, object, set}`);
}
def('object.remove', 2, (args) => {
  const out = obj('object.remove', args, 0).clone();
  for (const k of keysOf('object.remove', args[1])) out.delete(k);
  return out;
});
def('object.filter', 2, (args) => {
  const o = obj('object.filter', args, 0);
  const out = new RObject();
  for (const k of keysOf('object.filter', args[1])) {
    const v = o.get(k);
    if (v !== undefined) out.set(k, v);
  }
  return out;
});
def('object.subset', 2, ([a, b]) => subset(a, b));
function subset(sup: Value, sub: Value): boolean {
  if (sup instanceof RObject && sub instanceof RObject) {
    for (const [k, v] of sub.entries()) {
      const x = sup.get(k);
      if (x === undefined || !subset(x, v)) return false;
    }
    return true;
  }
  if (sup instanceof RSet && sub instanceof RSet) {
    for (const v of sub.values()) if (!sup.has(v)) return false;
    return true;
  }
  if (Array.isArray(sup) && Array.isArray(sub)) {
    if (sub.length === 0) return true;
    for (let i = 0; i + sub.length <= sup.length; i++) if (sub.every((v, j) => equal(sup[i + j], v))) return true;
    return false;
  }
  if (Array.isArray(sup) && sub instanceof RSet) return [...sub.values()].every((v) => sup.some((x) => equal(x, v)));
  return equal(sup, sub);
}

def('array.concat', 2, (args) => [...arr('array.concat', args, 0), ...arr('array.concat', args, 1)]);
def('array.slice', 3, (args) => {
  const a = arr('array.slice', args, 0);
  let start = int('array.slice', args, 1);
  let stop = int('array.slice', args, 2);
  if (start < 0) start = 0;
  if (stop > a.length) stop = a.length;
  if (start >= stop) return [];
  return a.slice(start, stop);
});
def('array.reverse', 1, (args) => [...arr('array.reverse', args, 0)].reverse());

def('union', 1, (args) => {
  const out = new RSet();
  for (const s of set('union', args, 0).values()) {
    if (!(s instanceof RSet)) throw new BuiltinError('union: operand 1 must be set of sets');
    for (const [k, v] of s.m) if (!out.m.has(k)) out.m.set(k, v);
  }
  return out;
});
def('intersection', 1, (args) => {
  const sets = [...set('intersection', args, 0).values()];
  if (sets.length === 0) return new RSet();
  for (const s of sets) if (!(s instanceof RSet)) throw new BuiltinError('intersection: operand 1 must be set of sets');
  const [first, ...rest] = sets as RSet[];
  const out = new RSet();
  for (const [k, v] of first.m) if (rest.every((s) => s.m.has(k))) out.m.set(k, v);
  return out;
});
def('cast_set', 1, (args) => RSet.from(collection('cast_set', args, 0)));

// Walking a document: [path, value] for every node, depth first.
export function walk(v: Value, cb: (path: Value[], v: Value) => boolean | undefined, path: Value[] = []): boolean {
  if (cb(path, v)) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (walk(v[i], cb, [...path, i])) return true;
  } else if (v instanceof RObject) {
    for (const [k, x] of v.sortedEntries()) if (walk(x, cb, [...path, k])) return true;
  } else if (v instanceof RSet) {
    for (const x of v.sorted()) if (walk(x, cb, [...path, x])) return true;
  }
  return false;
}

def(
  'walk',
  1,
  ([v]) => {
    const out: Value[] = [];
    walk(v, (path, x) => {
      out.push([path, x]);
      return false;
    });
    return out;
  },
  true,
);

def('json.filter', 2, (args) => {
  const o = obj('json.filter', args, 0);
  const paths = keysOf('json.filter', args[1]).map((p) =>
    typeof p === 'string' ? p.split('/').filter((x) => x !== '') : (p as Value[]),
  );
  const pick = (v: Value, ps: Value[][]): Value => {
    if (ps.some((p) => p.length === 0) || !(v instanceof RObject)) return v;
    const out = new RObject();
    for (const [k, x] of v.entries()) {
      const sub = ps.filter((p) => equal(p[0], k)).map((p) => p.slice(1));
      if (sub.length > 0) out.set(k, pick(x, sub));
    }
    return out;
  };
  return pick(o, paths);
});
def('json.remove', 2, (args) => {
  const o = obj('json.remove', args, 0);
  const paths = keysOf('json.remove', args[1]).map((p) =>
    typeof p === 'string' ? p.split('/').filter((x) => x !== '') : (p as Value[]),
  );
  const drop = (v: Value, ps: Value[][]): Value => {
    if (!(v instanceof RObject)) return v;
    const out = new RObject();
    for (const [k, x] of v.entries()) {
      if (ps.some((p) => p.length === 1 && equal(p[0], k))) continue;
      const sub = ps.filter((p) => p.length > 1 && equal(p[0], k)).map((p) => p.slice(1));
      out.set(k, sub.length > 0 ? drop(x, sub) : x);
    }
    return out;
  };
  return drop(o, paths);
});
