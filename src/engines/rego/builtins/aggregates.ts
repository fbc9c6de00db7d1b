// count, sum, product, max, min, sort.
import { compare, RObject, RSet, type Value } from '../values.js';
import { tidy } from './operators.js';
import { BuiltinError, collection, def } from './registry.js';

def('count', 1, ([v]) => {
  if (typeof v === 'string') return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (v instanceof RObject || v instanceof RSet) return v.size;
  throw new BuiltinError(
    `count: operand 1 must be one of {array, object, set, string} but got ${v === null ? 'null' : typeof v}`,
  );
});

function numbers(name: string, args: Value[]): number[] {
  return collection(name, args, 0).map((v) => {
    if (typeof v !== 'number') throw new BuiltinError(`${name}: operand 1 must be one of {array[number], set[number]}`);
    return v;
  });
}
def('sum', 1, (args) => tidy(numbers('sum', args).reduce((a, b) => a + b, 0)));
def('product', 1, (args) => tidy(numbers('product', args).reduce((a, b) => a * b, 1)));
def('max', 1, (args) => {
  const items = collection('max', args, 0);
  if (items.length === 0) return undefined;
  return items.reduce((a, b) => (compare(a, b) >= 0 ? a : b));
});
def('min', 1, (args) => {
  const items = collection('min', args, 0);
  if (items.length === 0) return undefined;
  return items.reduce((a, b) => (compare(a, b) <= 0 ? a : b));
});
def('sort', 1, (args) => [...collection('sort', args, 0)].sort(compare));
