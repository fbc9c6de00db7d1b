// Constant folding: literal arrays, sets and objects without variables become values built once at
// compile time, so evaluating them allocates nothing.
import type { Expr, Query, Term } from './ast.js';
import { RObject, RSet, type Value } from './values.js';

/** Literal arrays, sets and objects without variables become constants, built once at compile time. */
export function fold(t: Term): Term {
  switch (t.t) {
    case 'array': {
      const items = t.items.map(fold);
      if (items.every((i) => i.t === 'scalar'))
        return { t: 'scalar', value: items.map((i) => (i as { value: Value }).value), loc: t.loc };
      return { ...t, items };
    }
    case 'set': {
      const items = t.items.map(fold);
      if (items.every((i) => i.t === 'scalar'))
        return { t: 'scalar', value: RSet.from(items.map((i) => (i as { value: Value }).value)), loc: t.loc };
      return { ...t, items };
    }
    case 'object': {
      const pairs = t.pairs.map(([k, v]) => [fold(k), fold(v)] as [Term, Term]);
      if (pairs.every(([k, v]) => k.t === 'scalar' && v.t === 'scalar'))
        return {
          t: 'scalar',
          value: RObject.from(pairs.map(([k, v]) => [(k as { value: Value }).value, (v as { value: Value }).value])),
          loc: t.loc,
        };
      return { ...t, pairs };
    }
    case 'ref':
      return { ...t, head: fold(t.head), path: t.path.map(fold) };
    case 'call':
      return { ...t, args: t.args.map(fold) };
    case 'arraycompr':
    case 'setcompr':
      return { ...t, head: fold(t.head), body: foldQuery(t.body) };
    case 'objectcompr':
      return { ...t, key: fold(t.key), value: fold(t.value), body: foldQuery(t.body) };
    default:
      return t;
  }
}

export function foldQuery(q: Query): Query {
  return q.map((e): Expr => {
    const w = e.with.map((x) => ({ ...x, value: fold(x.value) }));
    switch (e.e) {
      case 'term':
        return { ...e, term: fold(e.term), with: w };
      case 'unify':
      case 'assign':
        return { ...e, left: fold(e.left), right: fold(e.right), with: w };
      case 'somein':
        return { ...e, key: e.key ? fold(e.key) : null, value: fold(e.value), coll: fold(e.coll), with: w };
      case 'every':
        return {
          ...e,
          key: e.key ? fold(e.key) : null,
          value: fold(e.value),
          coll: fold(e.coll),
          body: foldQuery(e.body),
          with: w,
        };
      default:
        return { ...e, with: w };
    }
  });
}
