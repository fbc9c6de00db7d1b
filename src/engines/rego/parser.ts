// Rego source -> syntax tree. Accepts Rego v0 (with or without `future.keywords`) and v1 syntax; a module
// that imports `rego.v1` must use v1 syntax (`if` before bodies, `contains` for multi-value rules).
import type { CallTerm, Expr, Import, Module, Query, Rule, RuleBody, Term, VarTerm, With } from './ast.js';
import { type Loc, RegoError } from './errors.js';
import { type Token, tokenize } from './lexer.js';

const RELATIONS: Record<string, string> = {
  '==': 'equal',
  '!=': 'neq',
  '<': 'lt',
  '<=': 'lte',
  '>': 'gt',
  '>=': 'gte',
};
const KEYWORDS = new Set(['not', 'some', 'every', 'with', 'as', 'default', 'else', 'import', 'package', 'if', 'in']);

export function parseModule(src: string, file: string): Module {
  return new Parser(src, file).module();
}

export function parseQuery(src: string, file = 'query'): Query {
  const p = new Parser(src, file);
  const q = p.query('eof');
  p.expectEnd();
  if (q.length === 0) p.fail('empty query');
  return q;
}

class Parser {
  private readonly toks: Token[];
  private pos = 0;
  private v1 = false;
  /** Head elements written in brackets (`p["a"]`), which make a v0 rule without value a multi-value rule. */
  private readonly bracketedTerms = new WeakSet<Term>();

  constructor(
    src: string,
    private readonly file: string,
  ) {
    this.toks = tokenize(src, file);
  }

  // ---- token helpers ----
  private get tok(): Token {
    return this.toks[this.pos];
  }
  private loc(t: Token = this.tok): Loc {
    return { file: this.file, line: t.line, column: t.column };
  }
  fail(msg: string, t: Token = this.tok): never {
    throw new RegoError('parse', msg, this.loc(t));
  }
  private isP(text: string, t: Token = this.tok): boolean {
    return t.kind === 'punct' && t.text === text;
  }
  private isId(text: string, t: Token = this.tok): boolean {
    return t.kind === 'ident' && t.text === text;
  }
  private next(): Token {
    const t = this.tok;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }
  private expectP(text: string): Token {
    if (!this.isP(text)) this.fail(`expected "${text}", found ${this.describe(this.tok)}`);
    return this.next();
  }
  private describe(t: Token): string {
    if (t.kind === 'eof') return 'end of input';
    if (t.kind === 'string') return `string ${JSON.stringify(t.text)}`;
    return `"${t.text}"`;
  }
  expectEnd(): void {
    if (this.tok.kind !== 'eof') this.fail(`unexpected ${this.describe(this.tok)}`);
  }

  // ---- module ----
  module(): Module {
    if (!this.isId('package')) this.fail('expected "package"');
    const pkgTok = this.next();
    const pkgTerm = this.ref();
    const pkg = this.staticPath(pkgTerm, 'package');
    const imports: Import[] = [];
    let sawFuture = false;
    let sawV1 = false;
    while (this.isId('import')) {
      const it = this.next();
      const path = this.ref();
      let alias: string | null = null;
      if (this.isId('as') && !this.tok.nl) {
        this.next();
        if (this.tok.kind !== 'ident') this.fail('expected an alias after "as"');
        alias = this.next().text;
      }
      const parts = this.importParts(path);
      if (parts[0] === 'rego') {
        if (parts.length !== 2 || parts[1] !== 'v1') this.fail(`invalid import rego.${parts.slice(1).join('.')}`, it);
        if (sawV1 || sawFuture) this.fail('this import shadows previous import', it);
        sawV1 = true;
        this.v1 = true;
        continue;
      }
      if (parts[0] === 'future') {
        if (parts[1] !== 'keywords') this.fail('invalid import, must be future.keywords', it);
        if (sawV1) this.fail('this import shadows previous import', it);
        sawFuture = true;
        continue;
      }
      if (parts[0] !== 'data' && parts[0] !== 'input') this.fail('invalid import, must begin with input or data', it);
      imports.push({ path, alias, loc: this.loc(it) });
    }
    const rules: Rule[] = [];
    while (this.tok.kind !== 'eof') {
      if (this.isId('import')) this.fail('imports must come before rules');
      if (this.isId('package')) this.fail('unexpected "package": one package per module');
      rules.push(...this.rule());
    }
    return { file: this.file, pkg, pkgLoc: this.loc(pkgTok), imports, rules, v1: this.v1 };
  }

  private importParts(t: Term): string[] {
    if (t.t === 'var') return [t.name];
    if (t.t !== 'ref' || t.head.t !== 'var') this.fail('invalid import path');
    const out = [t.head.name];
    for (const p of t.path) out.push(p.t === 'scalar' && typeof p.value === 'string' ? p.value : '?');
    return out;
  }

  private staticPath(t: Term, what: string): string[] {
    const parts = this.importParts(t);
    if (parts.includes('?')) this.fail(`invalid ${what} path`);
    return parts;
  }

  /** A reference made of names, dots and brackets, as in package names, imports and rule heads. */
  private ref(): Term {
    const t = this.tok;
    if (t.kind !== 'ident') this.fail(`expected a name, found ${this.describe(t)}`);
    this.next();
    const head: VarTerm = { t: 'var', name: t.text, loc: this.loc(t) };
    const path: Term[] = [];
    for (;;) {
      if (this.isP('.') && !this.tok.nl) {
        this.next();
        const n = this.tok;
        if (n.kind !== 'ident') this.fail('expected a name after "."');
        this.next();
        path.push({ t: 'scalar', value: n.text, loc: this.loc(n) });
      } else if (this.isP('[') && !this.tok.nl) {
        this.next();
        const k = this.termIn();
        this.bracketedTerms.add(k);
        path.push(k);
        this.expectP(']');
      } else break;
    }
    return path.length === 0 ? head : { t: 'ref', head, path, loc: head.loc };
  }

  // ---- rules ----
  private rule(): Rule[] {
    const start = this.tok;
    const loc = this.loc(start);
    const isDefault = this.isId('default');
    if (isDefault) this.next();
    if (this.tok.kind !== 'ident' || KEYWORDS.has(this.tok.text))
      this.fail(`unexpected ${this.describe(this.tok)}, expected a rule`);
    const headTerm = this.ref();
    let head: Term[] =
      headTerm.t === 'ref'
        ? [{ t: 'scalar', value: (headTerm.head as VarTerm).name, loc }, ...headTerm.path]
        : [{ t: 'scalar', value: (headTerm as VarTerm).name, loc }];
    const name = (head[0] as { value: string }).value;
    if (this.v1 && (name === 'data' || name === 'input')) this.fail(`${name} cannot be shadowed`, start);
    let args: Term[] = [];
    let kind: Rule['kind'] = 'complete';
    let key: Term | null = null;
    let value: Term | null = null;
    if (this.isP('(') && !this.tok.nl) {
      kind = 'function';
      this.next();
      args = this.termList(')');
      this.expectP(')');
    }
    if (isDefault) {
      if (!this.isP('=') && !this.isP(':=')) this.fail('default rules must have a value');
      this.next();
      value = this.termIn();
      const r = this.makeRule(kind, head, args, null, value, [], true, loc);
      return [r];
    }
    if (kind !== 'function' && this.isId('contains') && !this.tok.nl) {
      this.next();
      kind = 'set';
      key = this.termIn();
    } else if ((this.isP('=') || this.isP(':=')) && !this.tok.nl) {
      this.next();
      value = this.termIn();
    }
    const hasBody = this.isId('if') || (this.isP('{') && !this.tok.nl);
    if (kind === 'complete' && key === null && value === null) {
      const last = head[head.length - 1];
      const dynamicLast =
        head.length > 1 && !(last.t === 'scalar' && typeof last.value === 'string' && !this.bracketed(last));
      if (this.v1 && !hasBody) {
        if (head.length > 1) this.fail('`contains` keyword is required for partial set rules', start);
        this.fail('rule must have a body or assignment', start);
      }
      if (!this.v1 && head.length > 1 && (dynamicLast || this.bracketed(last))) {
        kind = 'set';
        key = last;
        head = head.slice(0, -1);
      } else {
        value = { t: 'scalar', value: true, loc };
      }
    }
    if (kind === 'function' && value === null) value = { t: 'scalar', value: true, loc };
    const bodies: RuleBody[] = [];
    const first = this.ruleBody(start);
    bodies.push({ value, body: first ?? [], loc });
    while (this.isId('else')) {
      if (kind === 'set') this.fail('else keyword cannot be used on multi-value rules');
      const et = this.next();
      let ev: Term = { t: 'scalar', value: true, loc: this.loc(et) };
      if (this.isP('=') || this.isP(':=')) {
        this.next();
        ev = this.termIn();
      }
      const b = this.ruleBody(et);
      bodies.push({ value: ev, body: b ?? [], loc: this.loc(et) });
    }
    const rules = [this.makeRule(kind, head, args, key, value, bodies, false, loc)];
    // Rego v0: several bodies after one head (`p { a } { b }`) are several rules.
    while (!this.v1 && this.isP('{') && !this.tok.nl && kind !== 'function') {
      this.next();
      const b = this.query('}');
      this.expectP('}');
      rules.push(this.makeRule(kind, head, args, key, value, [{ value, body: b, loc }], false, loc));
    }
    return rules;
  }

  private bracketed(t: Term): boolean {
    return this.bracketedTerms.has(t);
  }

  /** `if { ... }`, `if expr`, `{ ... }` (v0), or nothing (null). */
  private ruleBody(start: Token): Query | null {
    if (this.isId('if')) {
      this.next();
      if (this.isP('{')) {
        this.next();
        const q = this.query('}');
        this.expectP('}');
        return q;
      }
      return [this.literal()];
    }
    if (this.isP('{') && !this.tok.nl) {
      if (this.v1) this.fail('`if` keyword is required before rule body', start);
      this.next();
      const q = this.query('}');
      this.expectP('}');
      return q;
    }
    return null;
  }

  private makeRule(
    kind: Rule['kind'],
    head: Term[],
    args: Term[],
    key: Term | null,
    value: Term | null,
    bodies: RuleBody[],
    isDefault: boolean,
    loc: Loc,
  ): Rule {
    const path: string[] = [];
    let i = 0;
    for (; i < head.length; i++) {
      const h = head[i];
      if (h.t === 'scalar' && typeof h.value === 'string') path.push(h.value);
      else break;
    }
    const keys = head.slice(i);
    if (keys.length > 0) {
      if (kind === 'function') this.failAt('function names must be names', loc);
      if (kind === 'set') this.failAt('multi-value rules must have a name as head', loc);
      if (isDefault) this.failAt('default rules must have a name as head', loc);
      kind = 'object';
    }
    if (isDefault && bodies.length === 0) bodies = [{ value, body: [], loc }];
    return { kind, head, path, keys, key, value, args, bodies, isDefault, loc };
  }

  private failAt(msg: string, loc: Loc): never {
    throw new RegoError('parse', msg, loc);
  }

  // ---- queries and literals ----
  query(end: '}' | ']' | 'eof'): Query {
    const out: Query = [];
    const atEnd = () => (end === 'eof' ? this.tok.kind === 'eof' : this.isP(end));
    while (!atEnd()) {
      if (this.isP(';')) {
        this.next();
        continue;
      }
      out.push(this.literal());
      if (atEnd()) break;
      if (this.isP(';')) {
        this.next();
        continue;
      }
      if (!this.tok.nl) this.fail(`unexpected ${this.describe(this.tok)}`);
    }
    return out;
  }

  private literal(): Expr {
    const start = this.tok;
    const loc = this.loc(start);
    if (this.isId('some')) {
      this.next();
      const terms = [this.termOr()];
      while (this.isP(',')) {
        this.next();
        terms.push(this.termOr());
      }
      if (this.isId('in') && !this.tok.nl) {
        this.next();
        if (terms.length > 2) this.fail('too many terms before "in"');
        const coll = this.termOr();
        return this.withs({
          e: 'somein',
          key: terms.length === 2 ? terms[0] : null,
          value: terms[terms.length - 1],
          coll,
          negated: false,
          with: [],
          loc,
        });
      }
      for (const t of terms) if (t.t !== 'var') this.fail('expected variables after "some"', start);
      return { e: 'some', vars: terms as VarTerm[], negated: false, with: [], loc };
    }
    if (this.isId('every')) {
      this.next();
      const terms = [this.termOr()];
      if (this.isP(',')) {
        this.next();
        terms.push(this.termOr());
      }
      if (!this.isId('in')) this.fail('expected "in" after every variables');
      this.next();
      const coll = this.termOr();
      this.expectP('{');
      const body = this.query('}');
      this.expectP('}');
      return this.withs({
        e: 'every',
        key: terms.length === 2 ? terms[0] : null,
        value: terms[terms.length - 1],
        coll,
        body,
        negated: false,
        with: [],
        loc,
      });
    }
    let negated = false;
    if (this.isId('not')) {
      this.next();
      negated = true;
    }
    const left = this.termIn();
    let expr: Expr;
    if ((this.isP('=') || this.isP(':=')) && !this.tok.nl) {
      const op = this.next().text;
      const right = this.termIn();
      expr = { e: op === '=' ? 'unify' : 'assign', left, right, negated, with: [], loc };
    } else {
      expr = { e: 'term', term: left, negated, with: [], loc };
    }
    return this.withs(expr);
  }

  private withs(expr: Expr): Expr {
    const ws: With[] = [];
    while (this.isId('with')) {
      const wt = this.next();
      const target = this.ref();
      if (!this.isId('as')) this.fail('expected "as" in with modifier');
      this.next();
      const value = this.termIn();
      ws.push({ target, value, loc: this.loc(wt) });
    }
    expr.with = ws;
    return expr;
  }

  // ---- terms, by precedence ----
  termIn(): Term {
    let left = this.termOr();
    while (this.isId('in') && !this.tok.nl) {
      const t = this.next();
      const right = this.termOr();
      left = this.call('internal.member_2', [left, right], this.loc(t));
    }
    return left;
  }

  private termOr(noOr = false): Term {
    let left = this.termAnd();
    while (!noOr && this.isP('|') && !this.tok.nl) {
      const t = this.next();
      left = this.call('or', [left, this.termAnd()], this.loc(t));
    }
    return left;
  }

  private termAnd(): Term {
    let left = this.termRel();
    while (this.isP('&') && !this.tok.nl) {
      const t = this.next();
      left = this.call('and', [left, this.termRel()], this.loc(t));
    }
    return left;
  }

  private termRel(): Term {
    let left = this.termArith();
    while (this.tok.kind === 'punct' && RELATIONS[this.tok.text] && !this.tok.nl) {
      const t = this.next();
      left = this.call(RELATIONS[t.text], [left, this.termArith()], this.loc(t));
    }
    return left;
  }

  private termArith(): Term {
    let left = this.termFactor();
    while ((this.isP('+') || this.isP('-')) && !this.tok.nl) {
      const t = this.next();
      left = this.call(t.text === '+' ? 'plus' : 'minus', [left, this.termFactor()], this.loc(t));
    }
    return left;
  }

  private termFactor(): Term {
    let left = this.termUnary();
    while ((this.isP('*') || this.isP('/') || this.isP('%')) && !this.tok.nl) {
      const t = this.next();
      const name = t.text === '*' ? 'mul' : t.text === '/' ? 'div' : 'rem';
      left = this.call(name, [left, this.termUnary()], this.loc(t));
    }
    return left;
  }

  private termUnary(): Term {
    if (this.isP('-')) {
      const t = this.next();
      if (this.tok.kind !== 'number') this.fail('unary - can only be used with numeric literals', t);
      const n = this.next();
      return this.postfix({ t: 'scalar', value: -this.number(n), loc: this.loc(t) });
    }
    return this.postfix(this.primary());
  }

  private number(t: Token): number {
    const v = Number(t.text);
    if (!Number.isFinite(v)) this.fail(`number ${t.text} is out of range`, t);
    return v;
  }

  private call(name: string, args: Term[], loc: Loc): CallTerm {
    return { t: 'call', name, fn: { t: 'var', name, loc }, args, loc };
  }

  private termList(end: string): Term[] {
    const out: Term[] = [];
    while (!this.isP(end)) {
      out.push(this.termIn());
      if (this.isP(',')) this.next();
      else break;
    }
    return out;
  }

  private postfix(term: Term): Term {
    let t = term;
    for (;;) {
      if (this.isP('.') && !this.tok.nl) {
        this.next();
        const n = this.tok;
        if (n.kind !== 'ident') this.fail('expected a name after "."');
        this.next();
        t = this.extend(t, { t: 'scalar', value: n.text, loc: this.loc(n) });
      } else if (this.isP('[') && !this.tok.nl) {
        this.next();
        const k = this.termIn();
        this.expectP(']');
        t = this.extend(t, k);
      } else if (this.isP('(') && !this.tok.nl && this.callable(t)) {
        const open = this.next();
        const args = this.termList(')');
        this.expectP(')');
        const name = this.callName(t);
        if (name === 'set' && args.length === 0) t = { t: 'set', items: [], loc: t.loc };
        else t = { t: 'call', name, fn: t, args, loc: t.loc ?? this.loc(open) };
      } else return t;
    }
  }

  private extend(t: Term, k: Term): Term {
    if (t.t === 'ref') return { t: 'ref', head: t.head, path: [...t.path, k], loc: t.loc };
    return { t: 'ref', head: t, path: [k], loc: t.loc };
  }

  private callable(t: Term): boolean {
    if (t.t === 'var') return true;
    if (t.t !== 'ref' || t.head.t !== 'var') return false;
    return t.path.every((p) => p.t === 'scalar' && typeof p.value === 'string');
  }

  private callName(t: Term): string {
    if (t.t === 'var') return t.name;
    const r = t as Extract<Term, { t: 'ref' }>;
    return [(r.head as VarTerm).name, ...r.path.map((p) => (p as { value: string }).value)].join('.');
  }

  private primary(): Term {
    const t = this.tok;
    const loc = this.loc(t);
    switch (t.kind) {
      case 'number':
        this.next();
        return { t: 'scalar', value: this.number(t), loc };
      case 'string':
        this.next();
        return { t: 'scalar', value: t.text, loc };
      case 'ident':
        if (KEYWORDS.has(t.text) && t.text !== 'if') this.fail(`unexpected keyword "${t.text}"`);
        this.next();
        if (t.text === 'true') return { t: 'scalar', value: true, loc };
        if (t.text === 'false') return { t: 'scalar', value: false, loc };
        if (t.text === 'null') return { t: 'scalar', value: null, loc };
        return { t: 'var', name: t.text, loc };
      case 'punct':
        if (t.text === '(') {
          this.next();
          const inner = this.termIn();
          this.expectP(')');
          return inner;
        }
        if (t.text === '[') return this.arrayish();
        if (t.text === '{') return this.braced();
        break;
    }
    return this.fail(`unexpected ${this.describe(t)}`);
  }

  private arrayish(): Term {
    const open = this.next();
    const loc = this.loc(open);
    if (this.isP(']')) {
      this.next();
      return { t: 'array', items: [], loc };
    }
    const first = this.termOrIn();
    if (this.isP('|')) return { t: 'arraycompr', head: first, body: this.comprehensionBody(']'), loc };
    return { t: 'array', items: this.restOfList(first, ']'), loc };
  }

  /** After `|` in a comprehension: its body up to and including `close`. */
  private comprehensionBody(close: ']' | '}') {
    this.next();
    const body = this.query(close);
    this.expectP(close);
    return body;
  }

  /** The terms after `first` of a comma-separated list (trailing comma allowed), through `close`. */
  private restOfList(first: Term, close: ']' | '}'): Term[] {
    const items = [first];
    while (this.isP(',')) {
      this.next();
      if (this.isP(close)) break;
      items.push(this.termIn());
    }
    this.expectP(close);
    return items;
  }

  /** A term that stops before `|`, so `[x | body]` reads as a comprehension. */
  private termOrIn(): Term {
    let left = this.termOr(true);
    while (this.isId('in') && !this.tok.nl) {
      const t = this.next();
      left = this.call('internal.member_2', [left, this.termOr(true)], this.loc(t));
    }
    return left;
  }

  private braced(): Term {
    const open = this.next();
    const loc = this.loc(open);
    if (this.isP('}')) {
      this.next();
      return { t: 'object', pairs: [], loc };
    }
    const first = this.termOrIn();
    if (this.isP(':')) {
      this.next();
      const v = this.termOrIn();
      if (this.isP('|')) return { t: 'objectcompr', key: first, value: v, body: this.comprehensionBody('}'), loc };
      const pairs: [Term, Term][] = [[first, v]];
      while (this.isP(',')) {
        this.next();
        if (this.isP('}')) break;
        const k = this.termIn();
        this.expectP(':');
        pairs.push([k, this.termIn()]);
      }
      this.expectP('}');
      return { t: 'object', pairs, loc };
    }
    if (this.isP('|')) return { t: 'setcompr', head: first, body: this.comprehensionBody('}'), loc };
    return { t: 'set', items: this.restOfList(first, '}'), loc };
  }
}
