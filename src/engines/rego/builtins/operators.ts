// Comparison, arithmetic, set operators and membership (`in`).
import { compare, equal, RObject, RSet, type Value } from '../values.js';
import { BuiltinError, def, num, set } from './registry.js';

def('equal', 2, ([a, b]) => equal(a, b));
def('neq', 2, ([a, b]) => !equal(a, b));
def('lt', 2, ([a, b]) => compare(a, b) < 0);
def('lte', 2, ([a, b]) => compare(a, b) <= 0);
def('gt', 2, ([a, b]) => compare(a, b) > 0);
def('gte', 2, ([a, b]) => compare(a, b) >= 0);

/** Numbers are IEEE doubles; this is where a different number model would round results. */
export function tidy(n: number): number {
  return n;
}

function finite(name: string, n: number): number {
  if (!Number.isFinite(n)) throw new BuiltinError(`${name}: result is not a finite number`);
  return tidy(n);
}

def('plus', 2, (args) => finite('plus', num('plus', args, 0) + num('plus', args, 1)));
def('minus', 2, (args) => {
  const [a, b] = args;
  if (a instanceof RSet && b instanceof RSet) {
    const out = new RSet();
    for (const [k, v] of a.m) if (!b.m.has(k)) out.m.set(k, v);
    return out;
  }
  if (a instanceof RSet || b instanceof RSet)
    throw new BuiltinError(`minus: operand ${a instanceof RSet ? 2 : 1} must be set`);
  return finite('minus', num('minus', args, 0) - num('minus', args, 1));
});
def('mul', 2, (args) => finite('mul', num('mul', args, 0) * num('mul', args, 1)));
def('div', 2, (args) => {
  const a = num('div', args, 0);
  const b = num('div', args, 1);
  if (b === 0) throw new BuiltinError('div: divide by zero');
  return finite('div', a / b);
});
def('rem', 2, (args) => {
  const a = num('rem', args, 0);
  const b = num('rem', args, 1);
  if (!Number.isInteger(a) || !Number.isInteger(b)) throw new BuiltinError('rem: modulo on floating-point number');
  if (b === 0) throw new BuiltinError('rem: modulo by zero');
  return a % b;
});
def('and', 2, (args) => {
  const a = set('and', args, 0);
  const b = set('and', args, 1);
  const out = new RSet();
  for (const [k, v] of a.m) if (b.m.has(k)) out.m.set(k, v);
  return out;
});
def('or', 2, (args) => {
  const a = set('or', args, 0);
  const b = set('or', args, 1);
  const out = new RSet();
  for (const [k, v] of a.m) out.m.set(k, v);
  for (const [k, v] of b.m) if (!out.m.has(k)) out.m.set(k, v);
  return out;
});

/** `x in coll`: a member of an array, a set, or a value of an object. */
export function member(x: Value, coll: Value): boolean {
  if (Array.isArray(coll)) return coll.some((v) => equal(v, x));
  if (coll instanceof RSet) return coll.has(x);
  if (coll instanceof RObject) {
    for (const [, v] of coll.entries()) if (equal(v, x)) return true;
    return false;
  }
  return false;
}
def('internal.member_2', 2, ([x, coll]) => member(x, coll));
def('internal.member_3', 3, ([k, v, coll]) => {
  if (Array.isArray(coll))
    return typeof k === 'number' && Number.isInteger(k) && k >= 0 && k < coll.length && equal(coll[k], v);
  if (coll instanceof RObject) {
    const x = coll.get(k);
    return x !== undefined && equal(x, v);
  }
  if (coll instanceof RSet) return equal(k, v) && coll.has(k);
  return false;
});
