// The evaluator: top-down, with backtracking written as continuations. Every producer of values calls
// its continuation once per solution; a continuation returns true to stop the search. Bindings live in
// a frame (one array per rule invocation, indexed by the slots the compiler assigned) and are undone when
// the continuation returns, so backtracking needs no copying.
import type { CallTerm, Expr, Query, Rule, Term } from './ast.js';
import { BUILTINS, type Builtin, type BuiltinContext, BuiltinError } from './builtins/index.js';
import type { Compiled, CompiledQuery } from './compile.js';
import { type Loc, RegoError } from './errors.js';
import { findNode, type RuleNode } from './tree.js';
import { display, equal, RObject, RSet, type Value } from './values.js';

type K = () => boolean;
type VK = (v: Value) => boolean;
type Frame = (Value | undefined)[];

export interface EvalLimits {
  /** Maximum evaluation steps (expressions and iterations); default 10,000,000. */
  maxSteps?: number;
  /** Wall-clock limit in milliseconds; default 10,000. */
  timeoutMs?: number;
}

export interface EvalOptions extends EvalLimits {
  input?: Value;
  data?: Value;
  /** When false, a built-in's error makes its expression undefined instead of failing (OPA's default). */
  strictBuiltinErrors?: boolean;
  /** Nanoseconds since the epoch for `time.now_ns` (default: the clock at the start). */
  nowNs?: number;
  /** Collect every result of the query instead of stopping at the first. */
  allResults?: boolean;
}

export interface Print {
  file: string;
  line: number;
  message: string;
}

export interface QueryResult {
  /** The value of a single-expression query, or `true` for a query of several expressions. */
  value: Value;
  /** The query's own variables and their values. */
  bindings: Map<string, Value>;
}

type Mock = { kind: 'value'; value: Value } | { kind: 'user'; path: string[] } | { kind: 'builtin'; name: string };

interface State {
  input: Value | undefined;
  overrides: { path: string[]; value: Value }[] | null;
  mocks: Map<string, Mock> | null;
  cache: Map<RuleNode, Value | undefined | typeof PENDING>;
}

const PENDING = Symbol('pending');

/** For `data` references: the rule node their constant prefix reaches, if any (null: none). */
const ruleRefs = new WeakMap<Term, { node: RuleNode; consumed: number } | null>();

function ruleRef(root: RuleNode, path: Term[]): { node: RuleNode; consumed: number } | null {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const p = path[i];
    if (p.t !== 'scalar' || typeof p.value !== 'string') return null;
    const child = node.children.get(p.value);
    if (!child) return null;
    node = child;
    if (node.rules.length > 0 || (node.defaultRule && node.defaultRule.kind !== 'function'))
      return { node, consumed: i + 1 };
    if (node.funcs.length > 0) return null;
  }
  return null;
}
const MAX_DEPTH = 2000;

const err = (msg: string, loc: Loc | undefined): never => {
  throw new RegoError('eval', msg, loc);
};

function lookup(v: Value, k: Value): Value | undefined {
  if (v instanceof RObject) return v.get(k);
  if (Array.isArray(v))
    return typeof k === 'number' && Number.isInteger(k) && k >= 0 && k < v.length ? v[k] : undefined;
  if (v instanceof RSet) return v.has(k) ? k : undefined;
  return undefined;
}

function upsert(doc: Value | undefined, path: string[], v: Value): Value {
  if (path.length === 0) return v;
  const obj = doc instanceof RObject ? doc.clone() : new RObject();
  obj.set(path[0], upsert(obj.get(path[0]), path.slice(1), v));
  return obj;
}

function refParts(t: Term): string[] | null {
  if (t.t === 'var') return [t.name];
  if (t.t !== 'ref' || t.head.t !== 'var' || t.head.slot !== undefined) return null;
  const out = [t.head.name];
  for (const p of t.path) {
    if (p.t !== 'scalar' || typeof p.value !== 'string') return null;
    out.push(p.value);
  }
  return out;
}

export class Evaluator {
  steps = 0;
  readonly prints: Print[] = [];
  private readonly maxSteps: number;
  private readonly deadline: number;
  private readonly strict: boolean;
  private readonly ctx: BuiltinContext;
  private readonly baseData: Value;
  private state: State;
  private depth = 0;

  constructor(
    private readonly compiled: Compiled,
    opts: EvalOptions,
  ) {
    this.maxSteps = opts.maxSteps ?? 10_000_000;
    this.deadline = Date.now() + (opts.timeoutMs ?? 10_000);
    this.strict = opts.strictBuiltinErrors ?? true;
    this.ctx = {
      nowNs: opts.nowNs ?? Date.now() * 1e6,
      memo: new Map(),
      charge: (n: number) => {
        this.steps += n;
        if (this.steps > this.maxSteps)
          throw new RegoError('limit', `evaluation exceeded its budget of ${this.maxSteps} steps`);
      },
    };
    this.baseData = opts.data ?? new RObject();
    this.state = { input: opts.input, overrides: null, mocks: null, cache: new Map() };
  }

  private tick(): void {
    const s = ++this.steps;
    if (s > this.maxSteps) throw new RegoError('limit', `evaluation exceeded its budget of ${this.maxSteps} steps`);
    if ((s & 255) === 0 && Date.now() > this.deadline) throw new RegoError('limit', 'execution exceeded time limit');
  }

  // ---- queries ----
  run(cq: CompiledQuery, all: boolean): QueryResult[] {
    const frame: Frame = new Array(cq.slots);
    const results: QueryResult[] = [];
    const q = cq.query;
    const bindings = () => {
      const b = new Map<string, Value>();
      for (const [name, slot] of cq.vars) if (frame[slot] !== undefined) b.set(name, frame[slot] as Value);
      return b;
    };
    if (q.length === 1 && q[0].e === 'term' && !q[0].negated && q[0].with.length === 0) {
      this.evalTerm(q[0].term, frame, (v) => {
        results.push({ value: v, bindings: bindings() });
        return !all;
      });
    } else {
      this.query(q, 0, frame, () => {
        results.push({ value: true, bindings: bindings() });
        return !all;
      });
    }
    return results;
  }

  private query(q: Query, i: number, frame: Frame, k: K): boolean {
    if (i === q.length) return k();
    return this.expr(q[i], frame, () => this.query(q, i + 1, frame, k));
  }

  private expr(e: Expr, frame: Frame, k: K): boolean {
    this.tick();
    if (e.with.length > 0) return this.withExpr(e, frame, k);
    if (e.negated) {
      let found = false;
      this.exprCore(e, frame, () => {
        found = true;
        return true;
      });
      return found ? false : k();
    }
    return this.exprCore(e, frame, k);
  }

  private exprCore(e: Expr, frame: Frame, k: K): boolean {
    switch (e.e) {
      case 'term': {
        if (e.det) {
          const v = this.value(e.term, frame);
          return v === undefined || v === false ? false : k();
        }
        return this.evalTerm(e.term, frame, (v) => (v === false ? false : k()));
      }
      case 'unify':
      case 'assign': {
        if (e.detR) {
          const v = this.value(e.right, frame);
          return v === undefined ? false : this.unifyPattern(e.left, v, frame, k);
        }
        if (e.detL) {
          const v = this.value(e.left, frame);
          return v === undefined ? false : this.unifyPattern(e.right, v, frame, k);
        }
        return this.unify(e.left, e.right, frame, k);
      }
      case 'some':
        return k();
      case 'somein':
        return this.evalTerm(e.coll, frame, (coll) =>
          this.enumerate(coll, (key, val) =>
            e.key
              ? this.unifyPattern(e.key, key, frame, () => this.unifyPattern(e.value, val, frame, k))
              : this.unifyPattern(e.value, val, frame, k),
          ),
        );
      case 'every':
        return this.evalTerm(e.coll, frame, (coll) => {
          // A domain that is not a collection makes `every` fail (as OPA), not hold vacuously.
          if (!Array.isArray(coll) && !(coll instanceof RObject) && !(coll instanceof RSet)) return false;
          let ok = true;
          this.enumerate(coll, (key, val) => {
            let matched = false;
            let held = false;
            const body = () => {
              matched = true;
              this.query(e.body, 0, frame, () => {
                held = true;
                return true;
              });
              return true;
            };
            if (e.key) this.unifyPattern(e.key, key, frame, () => this.unifyPattern(e.value, val, frame, body));
            else this.unifyPattern(e.value, val, frame, body);
            if (matched && !held) {
              ok = false;
              return true;
            }
            return false;
          });
          return ok ? k() : false;
        });
    }
  }

  // ---- with ----
  private withExpr(e: Expr, frame: Frame, k: K): boolean {
    const next: State = {
      input: this.state.input,
      overrides: this.state.overrides ? [...this.state.overrides] : null,
      mocks: this.state.mocks ? new Map(this.state.mocks) : null,
      cache: new Map(),
    };
    for (const w of e.with) {
      const parts = refParts(w.target);
      if (!parts) err('invalid with target', w.loc);
      const head = parts![0];
      if (head === 'input') {
        const v = this.single(w.value, frame);
        if (v === undefined) return false;
        next.input = upsert(next.input, parts!.slice(1), v);
        continue;
      }
      if (head === 'data') {
        const path = parts!.slice(1);
        const node = findNode(this.compiled.root, path);
        if (node && (node.funcs.length > 0 || node.defaultRule?.kind === 'function')) {
          next.mocks ??= new Map();
          next.mocks.set(`data.${path.join('.')}`, this.mockOf(w.value, frame));
          continue;
        }
        const v = this.single(w.value, frame);
        if (v === undefined) return false;
        next.overrides ??= [];
        next.overrides.push({ path, value: v });
        continue;
      }
      const name = parts!.join('.');
      if (!BUILTINS.has(name)) err(`with target ${name} is not a function`, w.loc);
      next.mocks ??= new Map();
      next.mocks.set(name, this.mockOf(w.value, frame));
    }
    const inner: Expr = { ...e, with: [] } as Expr;
    const saved = this.state;
    this.state = next;
    try {
      return this.expr(inner, frame, () => {
        this.state = saved;
        try {
          return k();
        } finally {
          this.state = next;
        }
      });
    } finally {
      this.state = saved;
    }
  }

  private mockOf(t: Term, frame: Frame): Mock {
    const parts = refParts(t);
    if (parts) {
      if (parts[0] === 'data') {
        const node = findNode(this.compiled.root, parts.slice(1));
        if (node && (node.funcs.length > 0 || node.defaultRule?.kind === 'function'))
          return { kind: 'user', path: parts.slice(1) };
      } else if (t.t === 'var' && t.slot === undefined && BUILTINS.has(t.name)) {
        return { kind: 'builtin', name: t.name };
      } else if (parts[0] !== 'input' && BUILTINS.has(parts.join('.'))) {
        return { kind: 'builtin', name: parts.join('.') };
      }
    }
    const v = this.single(t, frame);
    if (v === undefined) err('with value is undefined', t.loc);
    return { kind: 'value', value: v as Value };
  }

  private single(t: Term, frame: Frame): Value | undefined {
    let out: Value | undefined;
    this.evalTerm(t, frame, (v) => {
      out = v;
      return true;
    });
    return out;
  }

  /**
   * The single value of a term whose variables are all bound (or undefined), computed directly instead
   * of through continuations: most expressions of a policy are of this kind.
   */
  private value(t: Term, frame: Frame): Value | undefined {
    switch (t.t) {
      case 'scalar':
        return t.value;
      case 'var':
        if (t.slot !== undefined) {
          const v = frame[t.slot];
          if (v === undefined) return err(`var ${t.name} is unsafe`, t.loc);
          return v;
        }
        if (t.name === 'input') return this.state.input;
        return this.single(t, frame);
      case 'ref': {
        const h = t.head;
        let cur: Value | undefined;
        let i = 0;
        if (h.t === 'var' && h.slot === undefined) {
          if (h.name === 'input') cur = this.state.input;
          else if (h.name === 'data') {
            if (this.state.overrides) return this.single(t, frame);
            let hit = ruleRefs.get(t);
            if (hit === undefined) {
              hit = ruleRef(this.compiled.root, t.path);
              ruleRefs.set(t, hit);
            }
            if (!hit) return this.single(t, frame);
            cur = this.ruleValue(hit.node);
            i = hit.consumed;
          } else return this.single(t, frame);
        } else cur = this.value(h, frame);
        const path = t.path;
        for (; i < path.length && cur !== undefined; i++) {
          const p = path[i];
          let key: Value | undefined;
          if (p.t === 'scalar') key = p.value;
          else if (p.t === 'var' && p.slot !== undefined) key = frame[p.slot];
          else key = this.value(p, frame);
          if (key === undefined) return undefined;
          cur = lookup(cur, key);
        }
        return cur;
      }
      case 'call': {
        if (t.name === 'print' || t.target?.kind !== 'builtin' || this.state.mocks) return this.single(t, frame);
        const args: Value[] = new Array(t.args.length);
        for (let i = 0; i < args.length; i++) {
          const a = t.args[i];
          const v = a.t === 'scalar' ? a.value : this.value(a, frame);
          if (v === undefined) return undefined;
          args[i] = v;
        }
        const b = BUILTINS.get(t.name);
        if (!b || b.multi) return this.single(t, frame);
        try {
          return b.fn(args, this.ctx);
        } catch (e) {
          if (e instanceof BuiltinError) {
            if (!this.strict) return undefined;
            return err(e.message, t.loc);
          }
          if (e instanceof RegoError || e instanceof RangeError) throw e;
          return err(`${t.name}: ${(e as Error).message}`, t.loc);
        }
      }
      default:
        return this.single(t, frame);
    }
  }

  // ---- terms ----
  evalTerm(t: Term, frame: Frame, vk: VK): boolean {
    switch (t.t) {
      case 'scalar':
        return vk(t.value);
      case 'var': {
        if (t.slot !== undefined) {
          const v = frame[t.slot];
          if (v === undefined) return err(`var ${t.name} is unsafe`, t.loc);
          return vk(v);
        }
        if (t.name === 'input') return this.state.input === undefined ? false : vk(this.state.input);
        if (t.name === 'data') return this.evalData(this.compiled.root, this.baseData, [], [], 0, frame, vk);
        return err(`${t.name} is a function, not a value`, t.loc);
      }
      case 'ref':
        return this.evalRef(t, frame, vk);
      case 'array':
        if (t.items.length === 0) return vk([]);
        return this.list(t.items, frame, (vals) => vk(vals));
      case 'set':
        if (t.items.length === 0) return vk(new RSet());
        return this.list(t.items, frame, (vals) => vk(RSet.from(vals)));
      case 'object': {
        if (t.pairs.length === 0) return vk(new RObject());
        const flat: Term[] = [];
        for (const [k, v] of t.pairs) flat.push(k, v);
        return this.list(flat, frame, (vals) => {
          const o = new RObject();
          for (let i = 0; i < vals.length; i += 2) o.set(vals[i], vals[i + 1]);
          return vk(o);
        });
      }
      case 'arraycompr': {
        const out: Value[] = [];
        this.query(t.body, 0, frame, () =>
          this.evalTerm(t.head, frame, (v) => {
            out.push(v);
            return false;
          }),
        );
        return vk(out);
      }
      case 'setcompr': {
        const out = new RSet();
        this.query(t.body, 0, frame, () =>
          this.evalTerm(t.head, frame, (v) => {
            out.add(v);
            return false;
          }),
        );
        return vk(out);
      }
      case 'objectcompr': {
        const out = new RObject();
        this.query(t.body, 0, frame, () =>
          this.evalTerm(t.key, frame, (key) =>
            this.evalTerm(t.value, frame, (v) => {
              const old = out.get(key);
              if (old !== undefined && !equal(old, v)) err('object keys must be unique', t.loc);
              out.set(key, v);
              return false;
            }),
          ),
        );
        return vk(out);
      }
      case 'call':
        return this.evalCall(t, frame, vk);
    }
  }

  private list(terms: Term[], frame: Frame, cb: (vals: Value[]) => boolean): boolean {
    return this.listStep(terms, new Array(terms.length), 0, frame, cb);
  }

  private listStep(terms: Term[], out: Value[], i: number, frame: Frame, cb: (vals: Value[]) => boolean): boolean {
    for (; i < terms.length; i++) {
      const t = terms[i];
      if (t.t === 'scalar') out[i] = t.value;
      else if (t.t === 'var' && t.slot !== undefined && frame[t.slot] !== undefined) out[i] = frame[t.slot] as Value;
      else {
        const at = i;
        return this.evalTerm(t, frame, (v) => {
          out[at] = v;
          return this.listStep(terms, out, at + 1, frame, cb);
        });
      }
    }
    return cb(out.slice());
  }

  /** Every (key, value) of a collection: indexes of arrays, keys of objects, members of sets. */
  private enumerate(coll: Value, cb: (k: Value, v: Value) => boolean): boolean {
    if (Array.isArray(coll)) {
      for (let i = 0; i < coll.length; i++) {
        this.tick();
        if (cb(i, coll[i])) return true;
      }
    } else if (coll instanceof RObject) {
      for (const [k, v] of coll.sortedEntries()) {
        this.tick();
        if (cb(k, v)) return true;
      }
    } else if (coll instanceof RSet) {
      for (const v of coll.sorted()) {
        this.tick();
        if (cb(v, v)) return true;
      }
    }
    return false;
  }

  private canEval(t: Term, frame: Frame): boolean {
    switch (t.t) {
      case 'scalar':
        return true;
      case 'var':
        return t.slot === undefined || frame[t.slot] !== undefined;
      case 'ref':
        return this.canEval(t.head, frame);
      case 'array':
      case 'set':
        return t.items.every((i) => this.canEval(i, frame));
      case 'object':
        return t.pairs.every(([k, v]) => this.canEval(k, frame) && this.canEval(v, frame));
      case 'call':
        return t.args.every((a) => this.canEval(a, frame));
      default:
        return true;
    }
  }

  private evalRef(t: Extract<Term, { t: 'ref' }>, frame: Frame, vk: VK): boolean {
    const h = t.head;
    if (h.t === 'var' && h.slot === undefined) {
      if (h.name === 'data') {
        if (!this.state.overrides) {
          // Fast path: a reference whose constant prefix names a rule reads the rule's value directly.
          let hit = ruleRefs.get(t);
          if (hit === undefined) {
            hit = ruleRef(this.compiled.root, t.path);
            ruleRefs.set(t, hit);
          }
          if (hit) {
            const v = this.ruleValue(hit.node);
            return v === undefined ? false : this.walk(v, t.path, hit.consumed, frame, vk);
          }
        }
        return this.evalData(this.compiled.root, this.baseData, [], t.path, 0, frame, vk);
      }
      if (h.name === 'input') {
        const input = this.state.input;
        return input === undefined ? false : this.walk(input, t.path, 0, frame, vk);
      }
    }
    return this.evalTerm(h, frame, (base) => this.walk(base, t.path, 0, frame, vk));
  }

  private walk(v: Value, path: Term[], i: number, frame: Frame, vk: VK): boolean {
    let cur = v;
    for (; i < path.length; i++) {
      const p = path[i];
      if (p.t === 'scalar') {
        const next = lookup(cur, p.value);
        if (next === undefined) return false;
        cur = next;
        continue;
      }
      if (p.t === 'var' && p.slot !== undefined) {
        const bound = frame[p.slot];
        if (bound !== undefined) {
          const next = lookup(cur, bound);
          if (next === undefined) return false;
          cur = next;
          continue;
        }
        const slot = p.slot;
        const rest = i + 1;
        return this.enumerate(cur, (key, val) => {
          frame[slot] = key;
          const r = this.walk(val, path, rest, frame, vk);
          frame[slot] = undefined;
          return r;
        });
      }
      const rest = i + 1;
      const base = cur;
      if (!this.canEval(p, frame))
        return this.enumerate(base, (key, val) =>
          this.unifyPattern(p, key, frame, () => this.walk(val, path, rest, frame, vk)),
        );
      return this.evalTerm(p, frame, (key) => {
        const next = lookup(base, key);
        return next === undefined ? false : this.walk(next, path, rest, frame, vk);
      });
    }
    return vk(cur);
  }

  // ---- data: base documents merged with the rules' virtual documents ----
  private overrideAt(abs: string[]): Value | undefined {
    const os = this.state.overrides;
    if (!os) return undefined;
    for (let i = os.length - 1; i >= 0; i--) {
      const o = os[i];
      if (o.path.length === abs.length && o.path.every((p, j) => p === abs[j])) return o.value;
    }
    return undefined;
  }

  private overridesBelow(v: Value | undefined, abs: string[]): Value | undefined {
    const os = this.state.overrides;
    if (!os) return v;
    let out = v;
    for (const o of os) {
      if (o.path.length > abs.length && abs.every((p, j) => p === o.path[j]))
        out = upsert(out, o.path.slice(abs.length), o.value);
    }
    return out;
  }

  private evalData(
    node: RuleNode | undefined,
    base: Value | undefined,
    abs: string[],
    path: Term[],
    i: number,
    frame: Frame,
    vk: VK,
  ): boolean {
    if (this.state.overrides) {
      const o = this.overrideAt(abs);
      if (o !== undefined) return this.walk(o, path, i, frame, vk);
    }
    if (node && (node.rules.length > 0 || (node.defaultRule && node.defaultRule.kind !== 'function'))) {
      const v = this.overridesBelow(this.ruleValue(node), abs);
      return v === undefined ? false : this.walk(v, path, i, frame, vk);
    }
    if (node && (node.funcs.length > 0 || node.defaultRule?.kind === 'function')) return false;
    if (i === path.length) {
      const v = this.materialize(node, base, abs);
      return v === undefined ? false : vk(v);
    }
    const p = path[i];
    let key: Value | undefined;
    if (p.t === 'scalar') key = p.value;
    else if (p.t === 'var' && p.slot !== undefined) key = frame[p.slot];
    else if (this.canEval(p, frame)) {
      return this.evalTerm(p, frame, (k) => this.dataStep(node, base, abs, k, path, i, frame, vk));
    }
    if (key === undefined) {
      const v = this.materialize(node, base, abs);
      return v === undefined ? false : this.walk(v, path, i, frame, vk);
    }
    return this.dataStep(node, base, abs, key, path, i, frame, vk);
  }

  private dataStep(
    node: RuleNode | undefined,
    base: Value | undefined,
    abs: string[],
    key: Value,
    path: Term[],
    i: number,
    frame: Frame,
    vk: VK,
  ): boolean {
    if (typeof key === 'number' && lookup(base ?? null, key) === undefined) key = String(key);
    const b = base === undefined ? undefined : lookup(base, key);
    if (typeof key !== 'string') return b === undefined ? false : this.walk(b, path, i + 1, frame, vk);
    const child = node?.children.get(key);
    if (!child && b === undefined && !this.state.overrides) return false;
    return this.evalData(child, b, [...abs, key], path, i + 1, frame, vk);
  }

  private materialize(node: RuleNode | undefined, base: Value | undefined, abs: string[]): Value | undefined {
    const o = this.overrideAt(abs);
    if (o !== undefined) return o;
    if (!node) return this.overridesBelow(base, abs);
    if (node.rules.length > 0 || (node.defaultRule && node.defaultRule.kind !== 'function'))
      return this.overridesBelow(this.ruleValue(node), abs);
    if (node.funcs.length > 0 || node.defaultRule?.kind === 'function') return undefined;
    const out = base instanceof RObject ? base.clone() : new RObject();
    for (const [name, child] of node.children) {
      const v = this.materialize(child, base instanceof RObject ? base.get(name) : undefined, [...abs, name]);
      if (v !== undefined) out.set(name, v);
    }
    return this.overridesBelow(out, abs);
  }

  // ---- rules ----
  private ruleValue(node: RuleNode): Value | undefined {
    const cache = this.state.cache;
    const hit = cache.get(node);
    if (hit === PENDING) err(`rule data.${node.path.join('.')} is recursive`, (node.rules[0] ?? node.defaultRule)?.loc);
    if (hit !== undefined || cache.has(node)) return hit as Value | undefined;
    cache.set(node, PENDING);
    this.enter();
    let value: Value | undefined;
    try {
      const kind = node.rules[0]?.kind ?? 'complete';
      if (kind === 'complete') value = this.completeValue(node);
      else if (kind === 'set') value = this.setValue(node);
      else value = this.objectValue(node);
      if (node.children.size > 0) value = this.mergeChildren(node, value);
    } finally {
      this.depth--;
      cache.delete(node);
    }
    cache.set(node, value);
    return value;
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw new RegoError('limit', 'evaluation exceeded its maximum depth');
  }

  private mergeChildren(node: RuleNode, value: Value | undefined): Value | undefined {
    let out = value;
    for (const [name, child] of node.children) {
      const v = this.materialize(child, undefined, [...node.path, name]);
      if (v === undefined) continue;
      if (out === undefined) out = new RObject();
      if (!(out instanceof RObject)) err(`rule data.${node.path.join('.')} conflicts with rules below it`, undefined);
      const obj = out as RObject;
      const old = obj.get(name);
      if (old !== undefined && !(old instanceof RObject && v instanceof RObject) && !equal(old, v))
        err(`object keys must be unique (data.${node.path.join('.')}.${name})`, undefined);
      obj.set(name, old instanceof RObject && v instanceof RObject ? mergeObjects(old, v) : v);
    }
    return out;
  }

  /** The value of one rule's first body (or `else` branch) that succeeds, checking it has only one. */
  private bodyValues(r: Rule, onValue: (frame: Frame, bodyIndex: number) => boolean): void {
    for (let b = 0; b < r.bodies.length; b++) {
      const frame: Frame = new Array(r.slots ?? 0);
      let any = false;
      this.query(r.bodies[b].body, 0, frame, () => {
        any = true;
        return onValue(frame, b);
      });
      if (any) return;
    }
  }

  private completeValue(node: RuleNode): Value | undefined {
    let result: Value | undefined;
    for (const r of node.rules) {
      this.bodyValues(r, (frame, b) => {
        const term = r.bodies[b].value!;
        this.evalTerm(term, frame, (v) => {
          if (result !== undefined && !equal(result, v))
            err(`complete rules must not produce multiple outputs (data.${node.path.join('.')})`, r.loc);
          result = v;
          return false;
        });
        // A constant value cannot differ between solutions: stop at the first (as OPA does).
        return isGround(term);
      });
    }
    if (result === undefined && node.defaultRule) {
      const frame: Frame = new Array(node.defaultRule.slots ?? 0);
      result = this.single(node.defaultRule.bodies[0].value!, frame);
    }
    return result;
  }

  private setValue(node: RuleNode): Value {
    const out = new RSet();
    for (const r of node.rules) {
      this.bodyValues(r, (frame) =>
        this.evalTerm(r.key!, frame, (v) => {
          out.add(v);
          return false;
        }),
      );
    }
    return out;
  }

  private objectValue(node: RuleNode): Value {
    const out = new RObject();
    for (const r of node.rules) {
      this.bodyValues(r, (frame, b) =>
        this.list(r.keys, frame, (keys) =>
          this.evalTerm(r.bodies[b].value!, frame, (v) => {
            let cur = out;
            for (let j = 0; j < keys.length - 1; j++) {
              let next = cur.get(keys[j]);
              if (next === undefined) {
                next = new RObject();
                cur.set(keys[j], next);
              }
              if (!(next instanceof RObject)) err('object keys must be unique', r.loc);
              cur = next as RObject;
            }
            const last = keys[keys.length - 1];
            const old = cur.get(last);
            if (old !== undefined && !equal(old, v)) err('object keys must be unique', r.loc);
            cur.set(last, v);
            return false;
          }),
        ),
      );
    }
    return out;
  }

  // ---- calls ----
  private evalCall(t: CallTerm, frame: Frame, vk: VK): boolean {
    if (t.name === 'print') return this.print(t, frame, vk);
    if (t.args.length === 0) return this.callWith(t, [], vk);
    return this.list(t.args, frame, (args) => this.callWith(t, args, vk));
  }

  private print(t: CallTerm, frame: Frame, vk: VK): boolean {
    const parts = t.args.map((a) => {
      let s = '<undefined>';
      this.evalTerm(a, frame, (v) => {
        s = typeof v === 'string' ? v : display(v);
        return true;
      });
      return s;
    });
    this.prints.push({ file: t.loc.file, line: t.loc.line, message: parts.join(' ') });
    return vk(true);
  }

  private callWith(t: CallTerm, args: Value[], vk: VK): boolean {
    const target = t.target;
    if (this.state.mocks) {
      const key = target?.kind === 'user' ? `data.${target.path.join('.')}` : t.name;
      const mock = this.state.mocks.get(key);
      if (mock) {
        if (mock.kind === 'value') return vk(mock.value);
        if (mock.kind === 'user') {
          // Inside the replacement, the replaced function is the real one again (as in OPA).
          const saved = this.state;
          const mocks = new Map(saved.mocks);
          mocks.delete(key);
          const inner: State = { ...saved, mocks: mocks.size > 0 ? mocks : null, cache: new Map() };
          let out: Value | undefined;
          this.state = inner;
          try {
            this.callUser(mock.path, args, t.loc, (v) => {
              out = v;
              return true;
            });
          } finally {
            this.state = saved;
          }
          return out === undefined ? false : vk(out);
        }
        return this.callBuiltin(mock.name, BUILTINS.get(mock.name)!, args, t.loc, vk);
      }
    }
    if (target?.kind === 'user') return this.callUser(target.path, args, t.loc, vk, target.node);
    const b = BUILTINS.get(t.name);
    if (!b) return err(`could not find function ${t.name}`, t.loc);
    return this.callBuiltin(t.name, b, args, t.loc, vk);
  }

  private callBuiltin(name: string, b: Builtin, args: Value[], loc: Loc, vk: VK): boolean {
    let r: Value | undefined;
    try {
      r = b.fn(args, this.ctx);
    } catch (e) {
      if (e instanceof BuiltinError) {
        if (!this.strict) return false;
        return err(e.message, loc);
      }
      if (e instanceof RegoError) throw e;
      if (e instanceof RangeError) throw e;
      return err(`${name}: ${(e as Error).message}`, loc);
    }
    if (r === undefined) return false;
    if (b.multi) {
      for (const x of r as Value[]) if (vk(x)) return true;
      return false;
    }
    return vk(r);
  }

  private callUser(path: string[], args: Value[], loc: Loc, vk: VK, known?: RuleNode): boolean {
    const node = known ?? findNode(this.compiled.root, path);
    if (!node) return err(`undefined function data.${path.join('.')}`, loc);
    this.enter();
    let result: Value | undefined;
    try {
      for (const r of node.funcs) {
        for (let b = 0; b < r.bodies.length; b++) {
          const frame: Frame = new Array(r.slots ?? 0);
          let any = false;
          this.unifyArgs(r.args, args, 0, frame, () =>
            this.query(r.bodies[b].body, 0, frame, () => {
              any = true;
              const term = r.bodies[b].value!;
              this.evalTerm(term, frame, (v) => {
                if (result !== undefined && !equal(result, v))
                  err(`functions must not produce multiple outputs for same inputs (data.${path.join('.')})`, r.loc);
                result = v;
                return false;
              });
              return isGround(term);
            }),
          );
          if (any) break;
        }
      }
      if (result === undefined && node.defaultRule?.kind === 'function') {
        result = this.single(node.defaultRule.bodies[0].value!, new Array(node.defaultRule.slots ?? 0));
      }
    } finally {
      this.depth--;
    }
    return result === undefined ? false : vk(result);
  }

  private unifyArgs(params: Term[], args: Value[], i: number, frame: Frame, k: K): boolean {
    if (i === params.length) return k();
    return this.unifyPattern(params[i], args[i], frame, () => this.unifyArgs(params, args, i + 1, frame, k));
  }

  // ---- unification ----
  private unify(a: Term, b: Term, frame: Frame, k: K): boolean {
    if (this.canEval(a, frame)) return this.evalTerm(a, frame, (va) => this.unifyPattern(b, va, frame, k));
    if (this.canEval(b, frame)) return this.evalTerm(b, frame, (vb) => this.unifyPattern(a, vb, frame, k));
    const pairs: [Term, Term][] = [];
    if (a.t === 'array' && b.t === 'array' && a.items.length === b.items.length) {
      for (let i = 0; i < a.items.length; i++) pairs.push([a.items[i], b.items[i]]);
    } else if (a.t === 'object' && b.t === 'object' && a.pairs.length === b.pairs.length) {
      for (const [ka, va] of a.pairs) {
        const m = b.pairs.find(([kb]) => kb.t === 'scalar' && ka.t === 'scalar' && equal(kb.value, ka.value));
        if (!m) return false;
        pairs.push([va, m[1]]);
      }
    } else return err('cannot unify: both sides have unbound variables', a.loc);
    return this.unifyPairs(pairs, frame, k);
  }

  private unifyPairs(pairs: [Term, Term][], frame: Frame, k: K): boolean {
    if (pairs.length === 0) return k();
    let idx = pairs.findIndex(([x, y]) => this.canEval(x, frame) || this.canEval(y, frame));
    if (idx < 0) idx = 0;
    const [x, y] = pairs[idx];
    const rest = pairs.filter((_, j) => j !== idx);
    return this.unify(x, y, frame, () => this.unifyPairs(rest, frame, k));
  }

  private unifyItems(items: Term[], v: Value[], i: number, frame: Frame, k: K): boolean {
    if (i === items.length) return k();
    return this.unifyPattern(items[i], v[i], frame, () => this.unifyItems(items, v, i + 1, frame, k));
  }

  private unifyPattern(t: Term, v: Value, frame: Frame, k: K): boolean {
    switch (t.t) {
      case 'scalar':
        return equal(t.value, v) ? k() : false;
      case 'var': {
        if (t.slot === undefined) return this.evalTerm(t, frame, (x) => (equal(x, v) ? k() : false));
        const cur = frame[t.slot];
        if (cur !== undefined) return equal(cur, v) ? k() : false;
        frame[t.slot] = v;
        const r = k();
        frame[t.slot] = undefined;
        return r;
      }
      case 'array':
        if (!Array.isArray(v) || v.length !== t.items.length) return false;
        return this.unifyItems(t.items, v, 0, frame, k);
      case 'object': {
        if (!(v instanceof RObject) || v.size !== t.pairs.length) return false;
        const pairs = t.pairs;
        const step = (i: number): boolean => {
          if (i === pairs.length) return k();
          const [kt, vt] = pairs[i];
          if (this.canEval(kt, frame)) {
            return this.evalTerm(kt, frame, (key) => {
              const x = v.get(key);
              return x === undefined ? false : this.unifyPattern(vt, x, frame, () => step(i + 1));
            });
          }
          return this.enumerate(v, (key, x) =>
            this.unifyPattern(kt, key, frame, () => this.unifyPattern(vt, x, frame, () => step(i + 1))),
          );
        };
        return step(0);
      }
      default:
        return this.evalTerm(t, frame, (x) => (equal(x, v) ? k() : false));
    }
  }
}

/** A term without variables, references or calls: the same value in every solution. */
function isGround(t: Term): boolean {
  switch (t.t) {
    case 'scalar':
      return true;
    case 'array':
    case 'set':
      return t.items.every(isGround);
    case 'object':
      return t.pairs.every(([k, v]) => isGround(k) && isGround(v));
    default:
      return false;
  }
}

function mergeObjects(a: RObject, b: RObject): RObject {
  const out = a.clone();
  for (const [k, v] of b.entries()) {
    const old = out.get(k);
    out.set(k, old instanceof RObject && v instanceof RObject ? mergeObjects(old, v) : v);
  }
  return out;
}
