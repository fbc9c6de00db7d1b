// Modules -> a rule tree ready to evaluate. The compiler resolves every variable (a local with a frame
// slot, a rule of the package, an import, `input` or `data`), every call (a built-in or a user function),
// reports unsafe variables and conflicting rules, and orders each body so every variable is bound before
// it is read, as Rego requires.
import type { CallTerm, Expr, Import, Module, Query, Rule, Term, VarTerm } from './ast.js';
import { BUILTINS } from './builtins/index.js';
import { type Loc, RegoError } from './errors.js';
import { fold, foldQuery } from './fold.js';
import { parseModule, parseQuery } from './parser.js';
import { buildTree, findNode, type RuleNode } from './tree.js';

export type { RuleNode } from './tree.js';

export interface CompiledQuery {
  query: Query;
  slots: number;
  /** The query's own named variables and their slots, for bindings. */
  vars: Map<string, number>;
}

export interface Compiled {
  root: RuleNode;
  modules: Module[];
}

export interface Source {
  /** A file name for messages. */
  file: string;
  text: string;
}

const cerr = (msg: string, loc: Loc): never => {
  throw new RegoError('compile', msg, loc);
};

export function compileModules(sources: Source[]): Compiled {
  const modules = sources.map((s) => parseModule(s.text, s.file));
  const { root, ruleNames } = buildTree(modules);
  for (const m of modules) {
    const names = ruleNames.get(m.pkg.slice(1).join('.')) ?? new Set<string>();
    const resolver = new Resolver(m, names, root);
    for (const r of m.rules) resolver.rule(r);
  }
  return { root, modules };
}

export function compileQuery(compiled: Compiled, text: string): CompiledQuery {
  const q = parseQuery(text);
  const m: Module = {
    file: 'query',
    pkg: ['data'],
    pkgLoc: { file: 'query', line: 0, column: 0 },
    imports: [],
    rules: [],
    v1: false,
  };
  const resolver = new Resolver(m, new Set(), compiled.root);
  return resolver.topQuery(q);
}

interface Scope {
  names: Map<string, number>;
  assigned: Set<string>;
  parent: Scope | null;
  /** Comprehension and `every` bodies: `:=` may shadow names from outside them. */
  barrier?: boolean;
}

const isWild = (name: string) => name === '_' || name.startsWith('$');

class Resolver {
  private counter = 0;
  private readonly imports = new Map<string, Term>();
  private readonly wild = new Set<number>();
  private readonly slotNames: string[] = [];

  constructor(
    private readonly mod: Module,
    private readonly ruleNames: Set<string>,
    private readonly root: RuleNode,
  ) {
    for (const imp of mod.imports) this.addImport(imp);
  }

  private addImport(imp: Import) {
    const t = imp.path;
    let alias = imp.alias;
    if (!alias) {
      if (t.t === 'var') alias = t.name;
      else if (t.t === 'ref') {
        const last = t.path[t.path.length - 1];
        if (last.t !== 'scalar' || typeof last.value !== 'string') cerr('import path must end with a name', imp.loc);
        alias = (last as { value: string }).value;
      }
    }
    if (!alias) cerr('invalid import', imp.loc);
    if (alias === 'input' || alias === 'data') {
      if (t.t === 'var') return;
    }
    if (this.imports.has(alias!)) cerr(`import must not shadow import ${alias}`, imp.loc);
    this.imports.set(alias!, t);
  }

  private alloc(name: string): number {
    const s = this.counter++;
    this.slotNames[s] = name;
    if (isWild(name)) this.wild.add(s);
    return s;
  }

  private lookup(name: string, scope: Scope | null): number | undefined {
    for (let s = scope; s; s = s.parent) {
      const slot = s.names.get(name);
      if (slot !== undefined) return slot;
    }
    return undefined;
  }

  /** A name that is not a local: an import, a root document or a rule of the package. */
  private global(name: string): boolean {
    return this.imports.has(name) || name === 'input' || name === 'data' || this.ruleNames.has(name);
  }

  // ---- rules ----
  rule(r: Rule): void {
    this.counter = 0;
    this.wild.clear();
    const argScope: Scope = { names: new Map(), assigned: new Set(), parent: null };
    const argBound = new Set<number>();
    for (let i = 0; i < r.args.length; i++) {
      this.declarePattern(r.args[i], argScope, false);
      r.args[i] = this.term(r.args[i], argScope);
      for (const s of this.allSlots(r.args[i])) argBound.add(s);
    }
    for (const b of r.bodies) {
      const scope: Scope = { names: new Map(), assigned: new Set(), parent: argScope };
      // Head terms may name variables the body binds (or that only the head mentions: unsafe).
      const headTerms: Term[] = [];
      if (b.value) headTerms.push(b.value);
      if (r.key) headTerms.push(r.key);
      headTerms.push(...r.keys);
      this.allocate(b.body, scope, headTerms);
      const { query, bound } = this.query(b.body, scope, argBound);
      b.body = query;
      if (b.value) b.value = this.headTerm(b.value, scope, bound, r);
      if (b === r.bodies[0]) {
        if (r.key) r.key = this.headTerm(r.key, scope, bound, r);
        for (let i = 0; i < r.keys.length; i++) r.keys[i] = this.headTerm(r.keys[i], scope, bound, r);
      }
    }
    for (const b of r.bodies) {
      b.body = foldQuery(b.body);
      if (b.value) b.value = fold(b.value);
    }
    if (r.key) r.key = fold(r.key);
    r.keys = r.keys.map(fold);
    r.args = r.args.map(fold);
    if (r.isDefault) {
      const v = r.bodies[0].value;
      if (v && [...this.allSlots(v)].length > 0) cerr('default rule value cannot contain variables', r.loc);
    }
    r.slots = this.counter;
  }

  private headTerm(t: Term, scope: Scope, bound: Set<number>, r: Rule): Term {
    const out = this.term(t, scope);
    for (const s of this.needs(out)) {
      if (!bound.has(s)) cerr(`var ${this.slotNames[s]} is unsafe`, t.loc ?? r.loc);
    }
    for (const s of this.outs(out)) {
      if (!bound.has(s) && !this.wild.has(s)) cerr(`var ${this.slotNames[s]} is unsafe`, t.loc ?? r.loc);
    }
    return out;
  }

  topQuery(q: Query): CompiledQuery {
    this.counter = 0;
    const scope: Scope = { names: new Map(), assigned: new Set(), parent: null };
    this.allocate(q, scope, []);
    const { query: ordered } = this.query(q, scope, new Set());
    const query = foldQuery(ordered);
    const vars = new Map<string, number>();
    for (const [name, slot] of scope.names) if (!isWild(name)) vars.set(name, slot);
    return { query, slots: this.counter, vars };
  }

  // ---- declarations ----
  private declare(v: VarTerm, scope: Scope, assign: boolean): void {
    if (isWild(v.name)) return;
    if (this.mod.v1 && (v.name === 'input' || v.name === 'data')) cerr(`${v.name} cannot be shadowed`, v.loc);
    if (assign) {
      for (let sc: Scope | null = scope; sc; sc = sc.barrier ? null : sc.parent) {
        if (sc.assigned.has(v.name) || sc.names.has(v.name)) cerr(`var ${v.name} assigned above`, v.loc);
      }
    }
    scope.assigned.add(v.name);
    scope.names.set(v.name, this.alloc(v.name));
  }

  private declarePattern(t: Term, scope: Scope, assign: boolean): void {
    switch (t.t) {
      case 'var':
        this.declare(t, scope, assign);
        return;
      case 'array':
        for (const i of t.items) this.declarePattern(i, scope, assign);
        return;
      case 'object':
        for (const [, v] of t.pairs) this.declarePattern(v, scope, assign);
        return;
      default:
        if (assign) {
          if (t.t === 'scalar' || t.t === 'ref' || t.t === 'call' || t.t === 'set')
            cerr('assignment operator := requires left-hand side to have bindable variables', t.loc);
        }
    }
  }

  /** Give a slot to every name the query declares or mentions for the first time at this level. */
  private allocate(q: Query, scope: Scope, extra: Term[]): void {
    const implicit = (name: string) => {
      if (isWild(name)) return;
      if (this.lookup(name, scope) !== undefined || this.global(name)) return;
      scope.names.set(name, this.alloc(name));
    };
    for (const e of q) {
      switch (e.e) {
        case 'some':
          for (const v of e.vars) {
            if (scope.names.has(v.name)) cerr(`var ${v.name} referenced above`, v.loc);
            this.declare(v, scope, false);
          }
          break;
        case 'assign':
          this.names(e.right, implicit);
          this.declarePattern(e.left, scope, true);
          this.names(e.left, implicit);
          break;
        case 'somein':
          this.names(e.coll, implicit);
          for (const p of [e.key, e.value]) {
            if (!p) continue;
            this.patternVars(p, (v) => {
              if (isWild(v.name)) return;
              if (scope.names.has(v.name)) cerr(`var \`${v.name}\` used before definition below`, v.loc);
              this.declare(v, scope, false);
            });
            this.names(p, implicit);
          }
          break;
        case 'every':
          this.names(e.coll, implicit);
          break;
        case 'unify':
          this.names(e.left, implicit);
          this.names(e.right, implicit);
          break;
        case 'term':
          this.names(e.term, implicit);
          break;
      }
    }
    for (const t of extra) this.names(t, implicit);
  }

  private patternVars(t: Term, cb: (v: VarTerm) => void): void {
    if (t.t === 'var') cb(t);
    else if (t.t === 'array') for (const i of t.items) this.patternVars(i, cb);
    else if (t.t === 'object') for (const [, v] of t.pairs) this.patternVars(v, cb);
  }

  /** Names used directly by a term (not inside comprehensions, which have their own scope). */
  private names(t: Term, cb: (name: string) => void): void {
    switch (t.t) {
      case 'var':
        cb(t.name);
        return;
      case 'ref':
        this.names(t.head, cb);
        for (const p of t.path) this.names(p, cb);
        return;
      case 'array':
      case 'set':
        for (const i of t.items) this.names(i, cb);
        return;
      case 'object':
        for (const [k, v] of t.pairs) {
          this.names(k, cb);
          this.names(v, cb);
        }
        return;
      case 'call':
        for (const a of t.args) this.names(a, cb);
        return;
      default:
        return;
    }
  }

  // ---- resolution ----
  private term(t: Term, scope: Scope): Term {
    switch (t.t) {
      case 'scalar':
        return t;
      case 'var':
        return this.varTerm(t, scope);
      case 'ref': {
        const head = this.term(t.head, scope);
        const path = t.path.map((p) => this.term(p, scope));
        if (head.t === 'ref') return { t: 'ref', head: head.head, path: [...head.path, ...path], loc: t.loc };
        return { t: 'ref', head, path, loc: t.loc };
      }
      case 'array':
        return { t: 'array', items: t.items.map((i) => this.term(i, scope)), loc: t.loc };
      case 'set':
        return { t: 'set', items: t.items.map((i) => this.term(i, scope)), loc: t.loc };
      case 'object':
        return { t: 'object', pairs: t.pairs.map(([k, v]) => [this.term(k, scope), this.term(v, scope)]), loc: t.loc };
      case 'call':
        return this.call(t, scope);
      case 'arraycompr':
      case 'setcompr':
      case 'objectcompr': {
        const inner: Scope = { names: new Map(), assigned: new Set(), parent: scope, barrier: true };
        const start = this.counter;
        const heads = t.t === 'objectcompr' ? [t.key, t.value] : [t.head];
        this.allocate(t.body, inner, heads);
        const outer = new Set<number>();
        for (let s = 0; s < start; s++) outer.add(s);
        const { query, bound } = this.query(t.body, inner, outer);
        const fix = (h: Term) => {
          const r = this.term(h, inner);
          for (const s of [...this.needs(r), ...this.outs(r)])
            if (!bound.has(s) && !this.wild.has(s)) cerr(`var ${this.slotNames[s]} is unsafe`, h.loc);
          return r;
        };
        const free = this.freeSlots(query, start);
        const fixHead = (h: Term) => {
          const r = fix(h);
          for (const s of this.allSlots(r)) if (s < start) free.add(s);
          return r;
        };
        if (t.t === 'objectcompr') {
          const key = fixHead(t.key);
          const out = { t: 'objectcompr' as const, key, value: fixHead(t.value), body: query, loc: t.loc };
          this.freeOf.set(out, free);
          return out;
        }
        const out = { t: t.t, head: fixHead(t.head), body: query, loc: t.loc } as Term;
        this.freeOf.set(out, free);
        return out;
      }
    }
  }

  /** For comprehensions: the outer slots they read, which must be bound before they run. */
  private readonly freeOf = new WeakMap<Term, Set<number>>();

  private freeSlots(q: Query, start: number): Set<number> {
    const free = new Set<number>();
    const visit = (t: Term) => {
      for (const s of this.allSlots(t)) if (s < start) free.add(s);
    };
    for (const e of q) this.exprTerms(e, visit);
    return free;
  }

  private exprTerms(e: Expr, cb: (t: Term) => void): void {
    switch (e.e) {
      case 'term':
        cb(e.term);
        break;
      case 'unify':
      case 'assign':
        cb(e.left);
        cb(e.right);
        break;
      case 'some':
        break;
      case 'somein':
        if (e.key) cb(e.key);
        cb(e.value);
        cb(e.coll);
        break;
      case 'every':
        if (e.key) cb(e.key);
        cb(e.value);
        cb(e.coll);
        for (const x of e.body) this.exprTerms(x, cb);
        break;
    }
    for (const w of e.with) cb(w.value);
  }

  private varTerm(t: VarTerm, scope: Scope): Term {
    if (isWild(t.name)) return { t: 'var', name: '_', loc: t.loc, slot: this.alloc('_') };
    const slot = this.lookup(t.name, scope);
    if (slot !== undefined) return { t: 'var', name: t.name, loc: t.loc, slot };
    const imp = this.imports.get(t.name);
    if (imp) {
      if (imp.t === 'var') return { t: 'var', name: imp.name, loc: t.loc };
      return imp;
    }
    if (t.name === 'input' || t.name === 'data') return { t: 'var', name: t.name, loc: t.loc };
    if (this.ruleNames.has(t.name)) {
      return {
        t: 'ref',
        head: { t: 'var', name: 'data', loc: t.loc },
        path: [...this.mod.pkg.slice(1), t.name].map((p) => ({ t: 'scalar' as const, value: p, loc: t.loc })),
        loc: t.loc,
      };
    }
    return { t: 'var', name: t.name, loc: t.loc, slot: scope.names.get(t.name) ?? this.allocIn(t.name, scope) };
  }

  private allocIn(name: string, scope: Scope): number {
    const s = this.alloc(name);
    scope.names.set(name, s);
    return s;
  }

  private call(t: CallTerm, scope: Scope, allowOutput = false): Term {
    const args = t.args.map((a) => this.term(a, scope));
    const name = t.name;
    const parts = name.split('.');
    const out: CallTerm = { t: 'call', name, fn: t.fn, args, loc: t.loc };
    // A user function: through an import, an absolute data path, or a rule of this package.
    let path: string[] | null = null;
    const imp = this.imports.get(parts[0]);
    if (imp) {
      const base = this.refParts(imp);
      if (base && base[0] === 'data') path = [...base.slice(1), ...parts.slice(1)];
    } else if (parts[0] === 'data') path = parts.slice(1);
    else if (this.ruleNames.has(parts[0])) path = [...this.mod.pkg.slice(1), ...parts];
    if (path) {
      const node = findNode(this.root, path);
      if (node && (node.funcs.length > 0 || node.defaultRule?.kind === 'function')) {
        const arity = (node.funcs[0] ?? node.defaultRule)!.args.length;
        if (args.length !== arity && !(allowOutput && args.length === arity + 1))
          cerr(`function ${name} expects ${arity} arguments, got ${args.length}`, t.loc);
        out.target = { kind: 'user', path, node };
        return out;
      }
      if (node && parts[0] !== 'data' && !BUILTINS.has(name)) cerr(`${name} is not a function`, t.loc);
      if (parts[0] === 'data' || imp) cerr(`undefined function ${name}`, t.loc);
    }
    const b = BUILTINS.get(name);
    if (!b) cerr(`could not find function ${name}`, t.loc);
    if (b!.arity >= 0 && args.length !== b!.arity && !(allowOutput && args.length === b!.arity + 1))
      cerr(`\`${name}\` expects ${b!.arity} argument${b!.arity === 1 ? '' : 's'}, got ${args.length}`, t.loc);
    out.target = { kind: 'builtin', name };
    return out;
  }

  private refParts(t: Term): string[] | null {
    if (t.t === 'var') return [t.name];
    if (t.t !== 'ref' || t.head.t !== 'var') return null;
    const out = [t.head.name];
    for (const p of t.path) {
      if (p.t !== 'scalar' || typeof p.value !== 'string') return null;
      out.push(p.value);
    }
    return out;
  }

  private arityOf(c: CallTerm): number {
    if (c.target?.kind === 'builtin') return BUILTINS.get(c.target.name)!.arity;
    if (c.target?.kind === 'user') {
      const node = findNode(this.root, c.target.path)!;
      return (node.funcs[0] ?? node.defaultRule)!.args.length;
    }
    return c.args.length;
  }

  private expr(e: Expr, scope: Scope): Expr {
    const withs = e.with.map((w) => ({
      target: this.withTarget(w.target, scope),
      value: this.withValue(w.value, scope),
      loc: w.loc,
    }));
    switch (e.e) {
      case 'term': {
        const term = e.term.t === 'call' ? this.call(e.term, scope, true) : this.term(e.term, scope);
        // `f(x, out)`: a call with one argument more than the function takes binds its result.
        if (term.t === 'call' && term.args.length === this.arityOf(term) + 1 && this.arityOf(term) >= 0) {
          const outArg = term.args[term.args.length - 1];
          const call: CallTerm = { ...term, args: term.args.slice(0, -1) };
          return { e: 'unify', left: outArg, right: call, negated: e.negated, with: withs, loc: e.loc };
        }
        if (term.t === 'call' && term.target?.kind === 'builtin') {
          const b = BUILTINS.get(term.target.name)!;
          if (b.arity >= 0 && term.args.length !== b.arity) cerr(`${term.name}: wrong number of arguments`, term.loc);
        }
        return { e: 'term', term, negated: e.negated, with: withs, loc: e.loc };
      }
      case 'unify':
      case 'assign': {
        const left = this.term(e.left, scope);
        const right = this.term(e.right, scope);
        this.checkPatterns(left, right, e.loc);
        return { e: e.e, left, right, negated: e.negated, with: withs, loc: e.loc };
      }
      case 'some':
        return { ...e, with: withs };
      case 'somein': {
        const coll = this.term(e.coll, scope);
        this.checkDomain(coll, e.value, e.loc);
        return {
          e: 'somein',
          key: e.key ? this.term(e.key, scope) : null,
          value: this.term(e.value, scope),
          coll,
          negated: e.negated,
          with: withs,
          loc: e.loc,
        };
      }
      case 'every': {
        const coll = this.term(e.coll, scope);
        const inner: Scope = { names: new Map(), assigned: new Set(), parent: scope, barrier: true };
        const start = this.counter;
        if (e.key) this.declarePattern(e.key, inner, false);
        this.declarePattern(e.value, inner, false);
        const key = e.key ? this.term(e.key, inner) : null;
        const value = this.term(e.value, inner);
        this.allocate(e.body, inner, []);
        const outer = new Set<number>();
        for (let s = 0; s < start; s++) outer.add(s);
        for (const s of [...(key ? this.allSlots(key) : []), ...this.allSlots(value)]) outer.add(s);
        // The domain's elements bind the variables before the body runs.
        const { query } = this.query(e.body, inner, outer);
        const out: Expr = { e: 'every', key, value, coll, body: query, negated: e.negated, with: withs, loc: e.loc };
        const free = new Set<number>();
        for (const x of query)
          this.exprTerms(x, (t) => {
            for (const s of this.allSlots(t)) if (s < start) free.add(s);
          });
        this.everyFree.set(out, free);
        return out;
      }
    }
  }

  private readonly everyFree = new WeakMap<Expr, Set<number>>();

  /** `with` targets: `input…`, `data…`, a built-in's name, or a function of the package or an import. */
  private withTarget(t: Term, scope: Scope): Term {
    const parts = this.refParts(t);
    if (!parts) return cerr('with target must be a reference', t.loc);
    if (parts[0] === 'input' || parts[0] === 'data') return t;
    if (BUILTINS.has(parts.join('.')) && !this.imports.has(parts[0]) && !this.ruleNames.has(parts[0])) return t;
    if (this.imports.has(parts[0]) || this.ruleNames.has(parts[0])) {
      const r = this.term(t, scope);
      const rp = this.refParts(r);
      if (rp && (rp[0] === 'data' || rp[0] === 'input')) return r;
    }
    return cerr('with keyword target must reference existing input, data, or a function', t.loc);
  }

  /** A `with` value naming a built-in stays a name (the built-in replaces the target). */
  private withValue(t: Term, scope: Scope): Term {
    const parts = this.refParts(t);
    if (parts && this.lookup(parts[0], scope) === undefined && !this.global(parts[0]) && BUILTINS.has(parts.join('.')))
      return { t: 'var', name: parts.join('.'), loc: t.loc };
    return this.term(t, scope);
  }

  /** `some … in` / `every … in` over a literal that is not a collection, or whose members never fit. */
  private checkDomain(coll: Term, pattern: Term, loc: Loc): void {
    if (coll.t === 'scalar') cerr('`some .. in collection` expects array/set/object.', loc);
    if ((coll.t === 'array' || coll.t === 'set') && pattern.t === 'array' && coll.items.length > 0) {
      const arrays = coll.items.filter((i) => i.t === 'array') as Extract<Term, { t: 'array' }>[];
      if (arrays.length === coll.items.length && arrays.every((a) => a.items.length !== pattern.items.length))
        cerr('mismatch in number of array elements', loc);
    }
  }

  /** Literal patterns that can never unify are errors, as Rego's type checker reports them. */
  private checkPatterns(a: Term, b: Term, loc: Loc): void {
    const composite = (t: Term) => t.t === 'array' || t.t === 'object' || t.t === 'set';
    if (a.t === 'array' && b.t === 'array') {
      if (a.items.length !== b.items.length) cerr('mismatch in number of array elements', loc);
      for (let i = 0; i < a.items.length; i++) this.checkPatterns(a.items[i], b.items[i], loc);
      return;
    }
    if ((composite(a) || composite(b)) && (composite(a) || a.t === 'scalar') && (composite(b) || b.t === 'scalar')) {
      if (a.t !== b.t)
        cerr('incompatible destructuring patterns: both sides must be arrays or objects with matching structure', loc);
    }
    if (a.t === 'object' && b.t === 'object') {
      const keysA = a.pairs.map(([k]) => k);
      const keysB = b.pairs.map(([k]) => k);
      const ground = (ks: Term[]) => ks.every((k) => k.t === 'scalar');
      if (ground(keysA) && ground(keysB)) {
        const sa = keysA.map((k) => JSON.stringify((k as { value: unknown }).value)).sort();
        const sb = keysB.map((k) => JSON.stringify((k as { value: unknown }).value)).sort();
        if (sa.join() !== sb.join()) cerr(`object literal keys mismatch. Expected keys [${sa}] got [${sb}].`, loc);
      } else if (keysA.length !== keysB.length) {
        cerr(
          `object field count mismatch in assignment: left has ${keysA.length} fields, right has ${keysB.length} fields`,
          loc,
        );
      }
    }
  }

  // ---- safety: order a body so that every variable is bound before it is read ----
  query(q: Query, scope: Scope, outerBound: Set<number>): { query: Query; bound: Set<number> } {
    const exprs = q.map((e) => this.expr(e, scope));
    const bound = new Set(outerBound);
    const placed: Expr[] = [];
    const left = [...exprs];
    while (left.length > 0) {
      let idx = -1;
      for (let i = 0; i < left.length; i++) {
        if (this.ready(left[i], bound)) {
          idx = i;
          break;
        }
      }
      if (idx < 0) {
        const e = left[0];
        const unsafe = this.unboundIn(e, bound);
        cerr(`var ${unsafe ?? '?'} is unsafe`, e.loc);
      }
      const [e] = left.splice(idx, 1);
      // Terms whose variables are all bound here have at most one value: evaluated without backtracking.
      if (e.e === 'term') e.det = this.isDet(e.term, bound);
      else if (e.e === 'unify' || e.e === 'assign') {
        e.detL = this.isDet(e.left, bound);
        e.detR = this.isDet(e.right, bound);
      }
      if (!e.negated) for (const s of this.exprOutputs(e)) bound.add(s);
      placed.push(e);
    }
    return { query: placed, bound };
  }

  private unboundIn(e: Expr, bound: Set<number>): string | undefined {
    let name: string | undefined;
    this.exprTerms(e, (t) => {
      for (const s of this.allSlots(t)) if (!bound.has(s) && !this.wild.has(s) && !name) name = this.slotNames[s];
    });
    return name;
  }

  /** Slots a term reads (they must be bound), leaving out reference path variables, which it binds. */
  needs(t: Term, acc = new Set<number>()): Set<number> {
    switch (t.t) {
      case 'var':
        if (t.slot !== undefined && !this.wild.has(t.slot)) acc.add(t.slot);
        break;
      case 'ref':
        this.needs(t.head, acc);
        for (const p of t.path) if (p.t !== 'var') this.needs(p, acc);
        break;
      case 'array':
      case 'set':
        for (const i of t.items) this.needs(i, acc);
        break;
      case 'object':
        for (const [k, v] of t.pairs) {
          this.needs(k, acc);
          this.needs(v, acc);
        }
        break;
      case 'call':
        for (const a of t.args) this.needs(a, acc);
        break;
      case 'arraycompr':
      case 'setcompr':
      case 'objectcompr':
        for (const s of this.freeOf.get(t) ?? []) acc.add(s);
        break;
    }
    return acc;
  }

  /** Slots a term binds by being evaluated: reference path variables (and wildcards). */
  outs(t: Term, acc = new Set<number>()): Set<number> {
    switch (t.t) {
      case 'var':
        if (t.slot !== undefined && this.wild.has(t.slot)) acc.add(t.slot);
        break;
      case 'ref':
        this.outs(t.head, acc);
        for (const p of t.path) {
          if (p.t === 'var' && p.slot !== undefined) acc.add(p.slot);
          else this.outs(p, acc);
        }
        break;
      case 'array':
      case 'set':
        for (const i of t.items) this.outs(i, acc);
        break;
      case 'object':
        for (const [k, v] of t.pairs) {
          this.outs(k, acc);
          this.outs(v, acc);
        }
        break;
      case 'call':
        for (const a of t.args) this.outs(a, acc);
        break;
    }
    return acc;
  }

  allSlots(t: Term): Set<number> {
    const acc = this.needs(t);
    this.outs(t, acc);
    return acc;
  }

  private isDet(t: Term, bound: Set<number>): boolean {
    for (const s of this.needs(t)) if (!bound.has(s)) return false;
    for (const s of this.outs(t)) if (!bound.has(s)) return false;
    return !this.hasMulti(t);
  }

  /** Calls of built-ins that yield several results (walk) make a term non-deterministic. */
  private hasMulti(t: Term): boolean {
    switch (t.t) {
      case 'call':
        return (
          (t.target?.kind === 'builtin' && BUILTINS.get(t.target.name)?.multi === true) ||
          t.args.some((a) => this.hasMulti(a))
        );
      case 'ref':
        return this.hasMulti(t.head) || t.path.some((p) => this.hasMulti(p));
      case 'array':
      case 'set':
        return t.items.some((i) => this.hasMulti(i));
      case 'object':
        return t.pairs.some(([k, v]) => this.hasMulti(k) || this.hasMulti(v));
      default:
        return false;
    }
  }

  private evaluable(t: Term, bound: Set<number>): boolean {
    for (const s of this.needs(t)) if (!bound.has(s)) return false;
    return true;
  }

  private patternable(t: Term, bound: Set<number>): boolean {
    if (t.t === 'var') return true;
    if (t.t === 'array') return t.items.every((i) => this.patternable(i, bound));
    if (t.t === 'object')
      return t.pairs.every(([k, v]) => (this.evaluable(k, bound) || k.t === 'var') && this.patternable(v, bound));
    return this.evaluable(t, bound);
  }

  private unifyReady(a: Term, b: Term, bound: Set<number>): boolean {
    if (this.evaluable(a, bound) && this.patternable(b, bound)) return true;
    if (this.evaluable(b, bound) && this.patternable(a, bound)) return true;
    const pairs: [Term, Term][] = [];
    if (a.t === 'array' && b.t === 'array' && a.items.length === b.items.length) {
      for (let i = 0; i < a.items.length; i++) pairs.push([a.items[i], b.items[i]]);
    } else if (a.t === 'object' && b.t === 'object' && a.pairs.length === b.pairs.length) {
      for (const [ka, va] of a.pairs) {
        const m = b.pairs.find(([kb]) => kb.t === 'scalar' && ka.t === 'scalar' && kb.value === ka.value);
        if (!m) return false;
        pairs.push([va, m[1]]);
      }
    } else return false;
    const local = new Set(bound);
    let pending = pairs;
    while (pending.length > 0) {
      const next = pending.filter(([x, y]) => !this.unifyReady(x, y, local));
      if (next.length === pending.length) return false;
      for (const [x, y] of pending) {
        if (next.some((p) => p[0] === x)) continue;
        for (const s of this.allSlots(x)) local.add(s);
        for (const s of this.allSlots(y)) local.add(s);
      }
      pending = next;
    }
    return true;
  }

  private ready(e: Expr, bound: Set<number>): boolean {
    for (const w of e.with) if (!this.evaluable(w.value, bound)) return false;
    if (e.negated) {
      let ok = true;
      this.exprTerms(e, (t) => {
        for (const s of this.allSlots(t)) if (!bound.has(s) && !this.wild.has(s)) ok = false;
      });
      if (e.e === 'every') for (const s of this.everyFree.get(e) ?? []) if (!bound.has(s)) ok = false;
      return ok;
    }
    switch (e.e) {
      case 'term':
        return this.evaluable(e.term, bound);
      case 'unify':
      case 'assign':
        return this.unifyReady(e.left, e.right, bound);
      case 'some':
        return true;
      case 'somein':
        return (
          this.evaluable(e.coll, bound) &&
          this.patternable(e.value, bound) &&
          (e.key === null || this.patternable(e.key, bound))
        );
      case 'every': {
        if (!this.evaluable(e.coll, bound)) return false;
        for (const s of this.everyFree.get(e) ?? []) if (!bound.has(s)) return false;
        return true;
      }
    }
  }

  private exprOutputs(e: Expr): Set<number> {
    const acc = new Set<number>();
    switch (e.e) {
      case 'term':
        this.outs(e.term, acc);
        break;
      case 'unify':
      case 'assign':
      case 'somein':
        this.exprTerms(e, (t) => {
          for (const s of this.allSlots(t)) acc.add(s);
        });
        break;
      default:
        break;
    }
    return acc;
  }
}
