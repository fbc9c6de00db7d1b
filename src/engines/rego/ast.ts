// The syntax tree the parser produces and the compiler annotates (variables get frame slots, references
// to rules and imports become absolute references).

import type { Loc } from './errors.js';
import type { RuleNode } from './tree.js';
import type { Value } from './values.js';

export type Term =
  | { t: 'scalar'; value: Value; loc: Loc }
  | VarTerm
  | RefTerm
  | { t: 'array'; items: Term[]; loc: Loc }
  | { t: 'object'; pairs: [Term, Term][]; loc: Loc }
  | { t: 'set'; items: Term[]; loc: Loc }
  | { t: 'arraycompr'; head: Term; body: Query; loc: Loc }
  | { t: 'setcompr'; head: Term; body: Query; loc: Loc }
  | { t: 'objectcompr'; key: Term; value: Term; body: Query; loc: Loc }
  | CallTerm;

export interface VarTerm {
  t: 'var';
  name: string;
  loc: Loc;
  /** Set by the compiler: the variable's slot in the frame of its rule or query. */
  slot?: number;
}

export interface RefTerm {
  t: 'ref';
  head: Term;
  path: Term[];
  loc: Loc;
}

export interface CallTerm {
  t: 'call';
  /** The function's name as written: `count`, `object.get`, `data.lib.f`, `f`. */
  name: string;
  /** The function's reference as written (for user functions and `with` targets). */
  fn: Term;
  args: Term[];
  loc: Loc;
  /** Set by the compiler: an absolute data path for user functions, or the built-in's name. */
  target?: { kind: 'builtin'; name: string } | { kind: 'user'; path: string[]; node?: RuleNode } | { kind: 'dynamic' };
}

export interface With {
  target: Term;
  value: Term;
  loc: Loc;
}

export type Expr =
  | { e: 'term'; term: Term; negated: boolean; with: With[]; loc: Loc; det?: boolean }
  | { e: 'unify'; left: Term; right: Term; negated: boolean; with: With[]; loc: Loc; detL?: boolean; detR?: boolean }
  | { e: 'assign'; left: Term; right: Term; negated: boolean; with: With[]; loc: Loc; detL?: boolean; detR?: boolean }
  | { e: 'some'; vars: VarTerm[]; negated: boolean; with: With[]; loc: Loc }
  | {
      e: 'somein';
      key: Term | null;
      value: Term;
      coll: Term;
      negated: boolean;
      with: With[];
      loc: Loc;
    }
  | {
      e: 'every';
      key: Term | null;
      value: Term;
      coll: Term;
      body: Query;
      negated: boolean;
      with: With[];
      loc: Loc;
    };

export type Query = Expr[];

export type RuleKind = 'complete' | 'set' | 'object' | 'function';

export interface RuleBody {
  /** The value this body produces (for `else` branches, their own value). */
  value: Term | null;
  body: Query;
  loc: Loc;
}

export interface Rule {
  kind: RuleKind;
  /** The rule's path inside its package, as written in the head (`p`, `p.q`, `p[x]`). */
  head: Term[];
  /** The leading constant part of `head` (strings). */
  path: string[];
  /** For object rules: the variable parts of the head after `path`. */
  keys: Term[];
  /** For set rules: the member; for object/complete/function rules: the value. */
  key: Term | null;
  value: Term | null;
  args: Term[];
  /** The rule body, then its `else` branches in order. */
  bodies: RuleBody[];
  isDefault: boolean;
  loc: Loc;
  /** Set by the compiler: the rule's frame size. */
  slots?: number;
  /** Set by the compiler: the package's path (`['test']` for `package test`). */
  pkg?: string[];
}

export interface Import {
  path: Term;
  alias: string | null;
  loc: Loc;
}

export interface Module {
  file: string;
  pkg: string[];
  pkgLoc: Loc;
  imports: Import[];
  rules: Rule[];
  /** `import rego.v1` (or a v1 parse): `if` and `contains` are required. */
  v1: boolean;
}
