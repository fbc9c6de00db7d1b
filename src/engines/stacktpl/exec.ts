// The executor of Go's text/template (src/text/template/exec.go) over template values, with
// budgets on steps, output size and template-call depth.

import { BudgetExceeded, FuncError, TemplateError } from './errors.js';
import { formatV } from './fmt.js';
import {
  type ArgNode,
  type BranchNode,
  type ChainNode,
  type CommandNode,
  type FieldNode,
  type IdentifierNode,
  location,
  type Node,
  type NumberNode,
  nodeString,
  type PipeNode,
  type TemplateNode,
  type VariableNode,
} from './nodes.js';
import type { Tree } from './parse.js';
import { byteLength, GoComplex, isMap, sortedKeys, truth, typeName, type Value } from './values.js';

/**
 * What a missing map key gives: Go's `default` (no value, printed `<no value>`), `zero` (nil),
 * `error`, or Gantry's `empty` (no value, printed as nothing, and a warning).
 */
export type MissingKey = 'default' | 'zero' | 'error' | 'empty';

export interface Budgets {
  /** Nodes walked, commands evaluated, loop iterations, elements built by functions. */
  maxSteps: number;
  /** Bytes written to the output, all nested templates included; also the largest string a function may build. */
  maxOutputBytes: number;
  /** Nested {{template}}, include and tpl calls. */
  maxDepth: number;
}

export const DEFAULT_BUDGETS: Budgets = { maxSteps: 2_000_000, maxOutputBytes: 16 * 1024 * 1024, maxDepth: 200 };

export interface TemplateWarning {
  message: string;
  template: string;
  line: number;
  column: number;
}

/** Parameter types of template functions, named after the Go types they stand for. */
export type ParamType = 'any' | 'value' | 'string' | 'int' | 'float64' | 'bool' | 'slice' | 'map';

export interface TemplateFunc {
  params: ParamType[];
  /** Type of the trailing `...` parameter, when the function is variadic. */
  variadic?: ParamType;
  /** Short-circuit evaluation of arguments (the builtin and/or). */
  shortCircuit?: 'and' | 'or';
  fn: (args: Value[], ctx: CallContext) => Value;
}

/** What a function sees of the execution (include, tpl, budgets). */
export interface CallContext {
  readonly name: string;
  readonly budgets: Budgets;
  /** Counts `n` steps against the step budget. */
  charge(n: number): void;
  /** Executes a named template with `data` and returns its output (Helm's include). */
  include(name: string, data: Value): string;
  /** Parses `text` beside the current templates and executes it with `data` (Helm's tpl). */
  tpl(text: string, data: Value): string;
}

/** Everything an execution needs besides its data: templates, functions, options. */
export interface ExecEnv {
  trees: Map<string, Tree>;
  funcs: Map<string, TemplateFunc>;
  missingKey: MissingKey;
  budgets: Budgets;
  /** Parses `text` as template `name` with the environment's delimiters and functions. */
  parse(name: string, text: string): Map<string, Tree>;
}

interface Run {
  env: ExecEnv;
  steps: number;
  written: number;
  warnings: TemplateWarning[];
  /** Warnings already given, so that a loop warns once per place. */
  warned: Set<string>;
}

const MISSING: unique symbol = Symbol('missing');
type Final = Value | typeof MISSING;

const NONE = 0;
const BREAK = 1;
const CONTINUE = 2;
type Signal = typeof NONE | typeof BREAK | typeof CONTINUE;

const MAX_WARNINGS = 200;

const paramTypeName: Record<ParamType, string> = {
  any: 'interface {}',
  value: 'reflect.Value',
  string: 'string',
  int: 'int',
  float64: 'float64',
  bool: 'bool',
  slice: '[]interface {}',
  map: 'map[string]interface {}',
};

export class State {
  private node: Node | null = null;
  private vars: Array<{ name: string; value: Value }>;
  private readonly out: string[] = [];

  constructor(
    private readonly run: Run,
    private readonly tmplName: string,
    private readonly trees: Map<string, Tree>,
    dot: Value,
    private readonly depth: number,
  ) {
    this.vars = [{ name: '$', value: dot }];
  }

  static start(
    env: ExecEnv,
    name: string,
    data: Value,
  ): { output: string; warnings: TemplateWarning[]; steps: number } {
    const run: Run = { env, steps: 0, written: 0, warnings: [], warned: new Set() };
    const dot = data === null ? undefined : data;
    const state = new State(run, name, env.trees, dot, 0);
    const tree = env.trees.get(name);
    if (!tree) state.errorf(`${JSON.stringify(name)} is an incomplete or empty template`);
    state.guard(() => state.walk(dot, tree!.root));
    return { output: state.out.join(''), warnings: run.warnings, steps: run.steps };
  }

  /** Turns JavaScript stack exhaustion into a template error instead of a crash. */
  private guard(f: () => void) {
    try {
      f();
    } catch (e) {
      if (e instanceof RangeError && /call stack/i.test(e.message)) {
        this.errorf('template nests too deeply to execute', 'budget');
      }
      throw e;
    }
  }

  // --- errors -------------------------------------------------------------------------------

  errorf(message: string, kind: 'exec' | 'budget' = 'exec'): never {
    const name = this.tmplName;
    if (!this.node) throw new TemplateError(`template: ${name}: ${message}`, kind, name, null, null);
    const { line, column } = location(this.node.src, this.node.pos);
    const where = `${this.node.src.parseName}:${line}:${column}`;
    throw new TemplateError(
      `template: ${where}: executing ${JSON.stringify(name)} at <${nodeString(this.node)}>: ${message}`,
      kind,
      name,
      line,
      column,
    );
  }

  private at(node: Node) {
    this.node = node;
  }

  private warn(message: string) {
    if (this.run.warnings.length >= MAX_WARNINGS || !this.node) return;
    const { line, column } = location(this.node.src, this.node.pos);
    const key = `${this.tmplName}:${line}:${column}:${message}`;
    if (this.run.warned.has(key)) return;
    this.run.warned.add(key);
    this.run.warnings.push({ message, template: this.tmplName, line, column });
  }

  private step(n = 1) {
    this.run.steps += n;
    if (this.run.steps > this.run.env.budgets.maxSteps) {
      this.errorf(`exceeded the step budget (${this.run.env.budgets.maxSteps} steps)`, 'budget');
    }
  }

  private write(s: string) {
    if (s.length === 0) return;
    this.run.written += byteLength(s);
    if (this.run.written > this.run.env.budgets.maxOutputBytes) {
      this.errorf(`exceeded the output budget (${this.run.env.budgets.maxOutputBytes} bytes)`, 'budget');
    }
    this.out.push(s);
  }

  // --- variables ----------------------------------------------------------------------------

  private mark() {
    return this.vars.length;
  }
  private pop(mark: number) {
    this.vars.length = mark;
  }
  private setVar(name: string, value: Value) {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  private setTopVar(n: number, value: Value) {
    this.vars[this.vars.length - n].value = value;
  }
  private varValue(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) return this.vars[i].value;
    }
    return this.errorf(`undefined variable: ${name}`);
  }

  // --- walking ------------------------------------------------------------------------------

  private walk(dot: Value, node: Node): Signal {
    this.step();
    this.at(node);
    switch (node.kind) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return NONE;
      }
      case 'comment':
        return NONE;
      case 'if':
      case 'with':
        return this.walkIfOrWith(dot, node);
      case 'list':
        for (const n of node.nodes) {
          const sig = this.walk(dot, n);
          if (sig !== NONE) return sig;
        }
        return NONE;
      case 'range':
        this.walkRange(dot, node);
        return NONE;
      case 'template':
        this.walkTemplate(dot, node);
        return NONE;
      case 'text':
        this.write(node.text);
        return NONE;
      case 'break':
        return BREAK;
      case 'continue':
        return CONTINUE;
    }
    return this.errorf(`unknown node: ${nodeString(node)}`);
  }

  private walkIfOrWith(dot: Value, node: BranchNode): Signal {
    const mark = this.mark();
    const val = this.evalPipeline(dot, node.pipe);
    let sig: Signal = NONE;
    if (truth(val)) sig = this.walk(node.kind === 'with' ? val : dot, node.list);
    else if (node.elseList) sig = this.walk(dot, node.elseList);
    this.pop(mark);
    return sig;
  }

  private walkRange(dot: Value, r: BranchNode) {
    this.at(r);
    const outer = this.mark();
    const val = this.evalPipeline(dot, r.pipe);
    const mark = this.mark();
    const decl = r.pipe.decl;
    const oneIteration = (index: Value, elem: Value): Signal => {
      this.step();
      if (decl.length > 0) {
        if (r.pipe.isAssign) this.setVar(decl[0].ident[0], decl.length > 1 ? index : elem);
        else this.setTopVar(1, elem);
      }
      if (decl.length > 1) {
        if (r.pipe.isAssign) this.setVar(decl[1].ident[0], elem);
        else this.setTopVar(2, index);
      }
      const sig = this.walk(elem, r.list);
      this.pop(mark);
      return sig;
    };
    let ran = false;
    if (Array.isArray(val)) {
      for (let i = 0; i < val.length; i++) {
        ran = true;
        if (oneIteration(BigInt(i), val[i]) === BREAK) break;
      }
    } else if (isMap(val)) {
      for (const k of sortedKeys(val)) {
        ran = true;
        if (oneIteration(k, val[k]) === BREAK) break;
      }
    } else if (typeof val === 'bigint') {
      if (decl.length > 1) this.errorf(`can't use ${formatV(val)} to iterate over more than one variable`);
      for (let i = 0n; i < val; i++) {
        ran = true;
        if (oneIteration(i, i) === BREAK) break;
      }
    } else if (val !== undefined && val !== null) {
      this.errorf(`range can't iterate over ${formatV(val)}`);
    }
    if (!ran && r.elseList) this.walk(dot, r.elseList);
    this.pop(outer);
  }

  private walkTemplate(dot: Value, t: TemplateNode) {
    this.at(t);
    const tree = this.trees.get(t.name);
    if (!tree) this.errorf(`template ${JSON.stringify(t.name)} not defined`);
    if (this.depth >= this.run.env.budgets.maxDepth) {
      this.errorf(`exceeded maximum template depth (${this.run.env.budgets.maxDepth})`, 'budget');
    }
    const newDot = t.pipe ? this.evalPipeline(dot, t.pipe) : undefined;
    const inner = new State(this.run, t.name, this.trees, newDot, this.depth + 1);
    inner.walk(newDot, tree!.root);
    for (const s of inner.out) this.out.push(s);
  }

  // --- evaluation ---------------------------------------------------------------------------

  private evalPipeline(dot: Value, pipe: PipeNode): Value {
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      if (value === null) value = undefined; // a nil interface{} is no value
    }
    const v = value as Value;
    for (const variable of pipe.decl) {
      if (pipe.isAssign) this.setVar(variable.ident[0], v);
      else this.vars.push({ name: variable.ident[0], value: v });
    }
    return v;
  }

  private notAFunction(args: ArgNode[] | null, final: Final) {
    if (args && (args.length > 1 || final !== MISSING)) {
      this.errorf(`can't give argument to non-function ${nodeString(args[0])}`);
    }
  }

  private evalCommand(dot: Value, cmd: CommandNode, final: Final): Value {
    this.step();
    const first = cmd.args[0];
    switch (first.kind) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.errorf('nil is not a command');
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
    return this.errorf(`can't evaluate command ${JSON.stringify(nodeString(first))}`);
  }

  private idealConstant(n: NumberNode): Value {
    this.at(n);
    if (n.isComplex) return new GoComplex(n.re, n.im);
    const isHexInt = /^[+-]?0[xX]/.test(n.text) && !/[pP]/.test(n.text);
    const isRune = n.text.startsWith("'");
    if (n.isFloat && !isHexInt && !isRune && /[.eEpP]/.test(n.text)) return n.float;
    if (n.isInt) return n.int;
    if (n.isUint) this.errorf(`${n.text} overflows int`);
    return undefined;
  }

  private evalFieldNode(dot: Value, field: FieldNode, args: ArgNode[] | null, final: Final): Value {
    this.at(field);
    return this.evalFieldChain(dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: Value, chain: ChainNode, args: ArgNode[] | null, final: Final): Value {
    this.at(chain);
    if (chain.node.kind === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, null, chain.node);
    return this.evalFieldChain(pipe, chain, chain.field, args, final);
  }

  private evalVariableNode(v: VariableNode, args: ArgNode[] | null, final: Final): Value {
    this.at(v);
    const value = this.varValue(v.ident[0]);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(receiver: Value, node: Node, ident: string[], args: ArgNode[] | null, final: Final): Value {
    const n = ident.length;
    let r = receiver;
    for (let i = 0; i < n - 1; i++) r = this.evalField(ident[i], node, null, MISSING, r);
    return this.evalField(ident[n - 1], node, args, final, r);
  }

  private evalField(fieldName: string, node: Node, args: ArgNode[] | null, final: Final, receiver: Value): Value {
    if (receiver === undefined) {
      if (this.run.env.missingKey === 'error') this.errorf(`nil data; no entry for key ${JSON.stringify(fieldName)}`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${fieldName}`);
    const hasArgs = (args !== null && args.length > 1) || final !== MISSING;
    if (isMap(receiver)) {
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      const result = Object.hasOwn(receiver, fieldName) ? receiver[fieldName] : undefined;
      if (result !== undefined) return result;
      switch (this.run.env.missingKey) {
        case 'zero':
          return null;
        case 'error':
          return this.errorf(`map has no entry for key ${JSON.stringify(fieldName)}`);
        case 'empty':
          this.at(node);
          this.warn(`missing key ${JSON.stringify(fieldName)}`);
          return undefined;
        default:
          return undefined;
      }
    }
    return this.errorf(`can't evaluate field ${fieldName} in type ${typeName(receiver)}`);
  }

  private evalFunction(dot: Value, node: IdentifierNode, cmd: Node, args: ArgNode[] | null, final: Final): Value {
    this.at(node);
    const fn = this.run.env.funcs.get(node.ident);
    if (!fn) return this.errorf(`${JSON.stringify(node.ident)} is not a defined function`);
    return this.evalCall(dot, fn, cmd, node.ident, args, final);
  }

  private evalCall(
    dot: Value,
    fn: TemplateFunc,
    node: Node,
    name: string,
    allArgs: ArgNode[] | null,
    final: Final,
  ): Value {
    const args = allArgs ? allArgs.slice(1) : [];
    let numIn = args.length;
    if (final !== MISSING) numIn++;
    let numFixed = args.length;
    if (fn.variadic) {
      numFixed = fn.params.length;
      if (numIn < numFixed) {
        this.errorf(`wrong number of args for ${name}: want at least ${fn.params.length} got ${args.length}`);
      }
    } else if (numIn !== fn.params.length) {
      this.errorf(`wrong number of args for ${name}: want ${fn.params.length} got ${numIn}`);
    }
    if (fn.shortCircuit) {
      let v: Value;
      for (const arg of args) {
        v = this.evalArg(dot, 'value', arg);
        if (truth(v) === (fn.shortCircuit === 'or')) return v;
      }
      if (final !== MISSING) v = this.validateType(final, 'value');
      return v;
    }
    const argv: Value[] = [];
    let i = 0;
    for (; i < numFixed && i < args.length; i++) argv.push(this.evalArg(dot, fn.params[i], args[i]));
    if (fn.variadic) for (; i < args.length; i++) argv.push(this.evalArg(dot, fn.variadic, args[i]));
    if (final !== MISSING) {
      let t: ParamType = fn.variadic ?? fn.params[fn.params.length - 1];
      if (fn.variadic && numIn - 1 < numFixed) t = fn.params[numIn - 1];
      argv.push(this.validateType(final, t));
    }
    let result: Value;
    try {
      result = fn.fn(argv, this.callContext(name));
    } catch (e) {
      if (e instanceof TemplateError) {
        if (e.kind === 'budget') throw e;
        this.at(node);
        this.errorf(`error calling ${name}: ${e.message}`);
      }
      this.at(node);
      if (e instanceof BudgetExceeded) this.errorf(e.message, 'budget');
      if (e instanceof RangeError && /call stack/i.test(e.message)) throw e;
      const message = e instanceof FuncError || e instanceof Error ? e.message : String(e);
      this.errorf(`error calling ${name}: ${message}`);
    }
    if (typeof result === 'string' && result.length > this.run.env.budgets.maxOutputBytes) {
      this.at(node);
      this.errorf(`${name} built a string larger than the output budget`, 'budget');
    }
    return result;
  }

  private callContext(name: string): CallContext {
    return {
      name,
      budgets: this.run.env.budgets,
      charge: (n: number) => this.step(n),
      include: (tmpl: string, data: Value) => this.include(tmpl, data),
      tpl: (text: string, data: Value) => this.tpl(text, data),
    };
  }

  private include(name: string, data: Value): string {
    const tree = this.trees.get(name);
    if (!tree)
      throw new FuncError(
        `template: no template ${JSON.stringify(name)} associated with template ${JSON.stringify(this.tmplName)}`,
      );
    if (this.depth >= this.run.env.budgets.maxDepth) {
      this.errorf(`exceeded maximum template depth (${this.run.env.budgets.maxDepth})`, 'budget');
    }
    const inner = new State(this.run, name, this.trees, data === null ? undefined : data, this.depth + 1);
    inner.walk(inner.vars[0].value, tree.root);
    return inner.out.join('');
  }

  private tpl(text: string, data: Value): string {
    if (this.depth >= this.run.env.budgets.maxDepth) {
      this.errorf(`exceeded maximum template depth (${this.run.env.budgets.maxDepth})`, 'budget');
    }
    const rootName = this.rootName();
    let parsed: Map<string, Tree>;
    try {
      parsed = this.run.env.parse(rootName, text);
    } catch (e) {
      const cause = e instanceof Error ? e.message : String(e);
      throw new FuncError(`cannot parse template ${JSON.stringify(text)}: ${cause}`);
    }
    const trees = new Map(this.trees);
    for (const [k, v] of parsed) trees.set(k, v);
    const tree = parsed.get(rootName) ?? trees.get(rootName);
    if (!tree) return '';
    const inner = new State(this.run, rootName, trees, data === null ? undefined : data, this.depth + 1);
    try {
      inner.walk(inner.vars[0].value, tree.root);
    } catch (e) {
      if (e instanceof TemplateError && e.kind === 'budget') throw e;
      const cause = e instanceof Error ? e.message : String(e);
      throw new FuncError(`error during tpl function execution for ${JSON.stringify(text)}: ${cause}`);
    }
    return inner.out.join('').replaceAll('<no value>', '');
  }

  private rootName(): string {
    return this.node?.src.parseName ?? this.tmplName;
  }

  private canBeNil(t: ParamType | null): boolean {
    return t === null || t === 'any' || t === 'value' || t === 'slice' || t === 'map';
  }

  private validateType(value: Final, t: ParamType | null): Value {
    const v = value === MISSING ? undefined : value;
    if (v === undefined) {
      if (t === null || t === 'value') return undefined;
      if (this.canBeNil(t)) return null;
      return this.errorf(`invalid value; expected ${paramTypeName[t]}`);
    }
    if (t === null || t === 'any' || t === 'value') return v;
    const ok =
      (t === 'string' && typeof v === 'string') ||
      (t === 'int' && typeof v === 'bigint') ||
      (t === 'float64' && typeof v === 'number') ||
      (t === 'bool' && typeof v === 'boolean') ||
      (t === 'slice' && (Array.isArray(v) || v === null)) ||
      (t === 'map' && (isMap(v) || v === null));
    if (!ok) {
      const got = v === null ? 'interface {}' : typeName(v);
      this.errorf(`wrong type for value; expected ${paramTypeName[t]}; got ${got}`);
    }
    return v;
  }

  private evalArg(dot: Value, t: ParamType | null, n: ArgNode): Value {
    this.at(n);
    switch (n.kind) {
      case 'dot':
        return this.validateType(dot, t);
      case 'nil':
        if (this.canBeNil(t)) return t === 'value' ? undefined : null;
        return this.errorf(`cannot assign nil to ${paramTypeName[t as ParamType]}`);
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), t);
      case 'variable':
        return this.validateType(this.evalVariableNode(n, null, MISSING), t);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), t);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, null, MISSING), t);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, null, MISSING), t);
    }
    switch (t) {
      case 'bool':
        if (n.kind === 'bool') return n.value;
        return this.errorf(`expected bool; found ${nodeString(n)}`);
      case 'float64':
        if (n.kind === 'number' && n.isFloat) return n.float;
        return this.errorf(`expected float; found ${nodeString(n)}`);
      case 'int':
        if (n.kind === 'number' && n.isInt) return n.int;
        return this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'string':
        if (n.kind === 'string') return n.text;
        return this.errorf(`expected string; found ${nodeString(n)}`);
      case 'any':
      case 'value':
      case null:
        switch (n.kind) {
          case 'bool':
            return n.value;
          case 'number':
            return this.idealConstant(n);
          case 'string':
            return n.text;
        }
    }
    return this.errorf(`can't handle ${nodeString(n)} for arg of type ${paramTypeName[t as ParamType]}`);
  }

  private printValue(node: Node, v: Value) {
    this.at(node);
    if (v === undefined) {
      if (this.run.env.missingKey !== 'empty') this.write('<no value>');
      return;
    }
    this.write(formatV(v));
  }
}
