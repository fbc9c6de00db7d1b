// The rule tree: every rule at its absolute data path (package path + rule head), with the checks
// that concern rules at the same path (conflicting kinds, several defaults, functions of two arities).
import type { Module, Rule } from './ast.js';
import { type Loc, RegoError } from './errors.js';

export interface RuleNode {
  path: string[];
  /** Complete, multi-value set and object rules defined at exactly this path. */
  rules: Rule[];
  funcs: Rule[];
  defaultRule: Rule | null;
  children: Map<string, RuleNode>;
  /** True when this node or a descendant holds rules (not only functions). */
  hasValues: boolean;
}

function newNode(path: string[]): RuleNode {
  return { path, rules: [], funcs: [], defaultRule: null, children: new Map(), hasValues: false };
}

const cerr = (msg: string, loc: Loc): never => {
  throw new RegoError('compile', msg, loc);
};

/** Places every rule of the modules; returns the tree and, per package, the names its rules define. */
export function buildTree(modules: Module[]): { root: RuleNode; ruleNames: Map<string, Set<string>> } {
  const root = newNode([]);
  const ruleNames = new Map<string, Set<string>>();
  for (const m of modules) {
    const pkgKey = m.pkg.join('.');
    if (m.pkg[0] !== 'data') m.pkg.unshift('data');
    const names = ruleNames.get(pkgKey) ?? new Set<string>();
    ruleNames.set(pkgKey, names);
    let pkgNode = root;
    for (const part of m.pkg.slice(1)) {
      let child = pkgNode.children.get(part);
      if (!child) {
        child = newNode([...pkgNode.path, part]);
        pkgNode.children.set(part, child);
      }
      pkgNode = child;
    }
    for (const r of m.rules) {
      r.pkg = m.pkg;
      names.add(r.path[0]);
      let node = root;
      for (const part of [...m.pkg.slice(1), ...r.path]) {
        let child = node.children.get(part);
        if (!child) {
          child = newNode([...node.path, part]);
          node.children.set(part, child);
        }
        node = child;
      }
      if (r.kind === 'function') {
        if (r.isDefault) {
          if (node.defaultRule) cerr(`multiple default rules named ${r.path.join('.')} found`, r.loc);
          node.defaultRule = r;
        } else node.funcs.push(r);
      } else if (r.isDefault) {
        if (node.defaultRule) cerr(`multiple default rules ${node.path.join('.')} found`, r.loc);
        node.defaultRule = r;
      } else node.rules.push(r);
    }
  }
  checkTree(root);
  return { root, ruleNames };
}

function checkTree(node: RuleNode): boolean {
  let has = node.rules.length > 0 || (node.defaultRule !== null && node.defaultRule.kind !== 'function');
  const kinds = new Set(node.rules.map((r) => r.kind));
  const where = node.path.join('.');
  const first = node.rules[0] ?? node.funcs[0] ?? node.defaultRule;
  if (kinds.size > 1) cerr(`conflicting rules data.${where} found`, first!.loc);
  if (node.funcs.length > 0 && (node.rules.length > 0 || (node.defaultRule && node.defaultRule.kind !== 'function')))
    cerr(`conflicting rules data.${where} found: functions and rules`, first!.loc);
  if (node.funcs.length > 0) {
    const arity = node.funcs[0].args.length;
    for (const f of node.funcs)
      if (f.args.length !== arity) cerr(`conflicting rules data.${where} found: functions of different arity`, f.loc);
  }
  if (node.defaultRule && node.rules.some((r) => r.kind !== 'complete'))
    cerr(`default rule data.${where} must be a single-value rule`, node.defaultRule.loc);
  for (const child of node.children.values()) {
    const childHas = checkTree(child);
    if (childHas && kinds.has('complete')) cerr(`rule data.${where} conflicts with rules below it`, first!.loc);
    has ||= childHas;
  }
  node.hasValues = has;
  return has;
}

/** Find the node at an absolute data path (without the leading `data`). */
export function findNode(root: RuleNode, path: string[]): RuleNode | undefined {
  let node: RuleNode | undefined = root;
  for (const p of path) {
    node = node.children.get(p);
    if (!node) return undefined;
  }
  return node;
}
