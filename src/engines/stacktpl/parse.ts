// The parser of Go's text/template (src/text/template/parse/parse.go): tokens -> trees, one tree per
// template name ({{define}} and {{block}} add trees beside the top-level one).

import { TemplateError } from './errors.js';
import { Item, lex, type Token } from './lex.js';
import { goNumber, unquoteGoString } from './literals.js';
import {
  type ArgNode,
  type BranchNode,
  type CommandNode,
  type ElseNode,
  type EndNode,
  type ListNode,
  location,
  type Node,
  type NumberNode,
  type PipeNode,
  type Source,
  type VariableNode,
} from './nodes.js';

export interface Tree {
  name: string;
  root: ListNode;
  src: Source;
}

export interface ParseOptions {
  leftDelim?: string;
  rightDelim?: string;
  /** Names of the functions templates may call; an unknown name is a parse error, as in Go. */
  hasFunction: (name: string) => boolean;
  literalFrom?: number;
  /** Maximum nesting of parentheses and control blocks (protects the call stack). */
  maxNesting?: number;
}

const DEFAULT_MAX_NESTING = 500;

function tokenString(t: Token): string {
  if (t.type === Item.EOF) return 'EOF';
  if (t.type === Item.Error) return t.val;
  if (t.type > Item.Keyword) return `<${t.val}>`;
  if (t.val.length > 10) return `${JSON.stringify(t.val.slice(0, 10))}...`;
  return JSON.stringify(t.val);
}

/** True for a list holding only blank text and comments (Go's IsEmptyTree). */
export function isEmptyTree(n: Node): boolean {
  switch (n.kind) {
    case 'list':
      return n.nodes.every(isEmptyTree);
    case 'text':
      return n.text.trim() === '';
    case 'comment':
      return true;
    default:
      return false;
  }
}

/**
 * Parses `text` as template `name`. Returns the trees it defines, keyed by name; the top-level tree
 * is included under `name` unless it is empty and `name` is defined inside the text.
 */
export function parseTemplate(name: string, text: string, options: ParseOptions): Map<string, Tree> {
  const src: Source = { text, parseName: name };
  const tokens = lex(text, {
    leftDelim: options.leftDelim ?? '{{',
    rightDelim: options.rightDelim ?? '}}',
    literalFrom: options.literalFrom,
  });
  const maxNesting = options.maxNesting ?? DEFAULT_MAX_NESTING;
  const trees = new Map<string, Tree>();
  let index = 0;
  let vars: string[] = ['$'];
  let rangeDepth = 0;
  let nesting = 0;
  let actionStart = -1;

  const fail = (message: string, pos: number): never => {
    const { line, column } = location(src, pos);
    throw new TemplateError(`template: ${name}:${line}:${column}: ${message}`, 'parse', name, line, column);
  };
  const next = (): Token => {
    const t = tokens[Math.min(index, tokens.length - 1)];
    index++;
    return t;
  };
  const backup = (n = 1) => {
    index -= n;
  };
  const peek = (): Token => tokens[Math.min(index, tokens.length - 1)];
  const nextNonSpace = (): Token => {
    let t = next();
    while (t.type === Item.Space) t = next();
    return t;
  };
  const peekNonSpace = (): Token => {
    const t = nextNonSpace();
    backup();
    return t;
  };
  const errorAt = (t: Token, message: string): never => fail(message, t.pos);
  const unexpected = (t: Token, context: string): never => {
    if (t.type === Item.Error) {
      let extra = '';
      if (actionStart >= 0) {
        const startLine = location(src, actionStart).line;
        if (startLine !== location(src, t.pos).line) {
          extra = ` in action started at ${name}:${startLine}`;
          if (t.val.endsWith(' action')) extra = extra.slice(' in action'.length);
        }
      }
      return errorAt(t, `${t.val}${extra}`);
    }
    return errorAt(t, `unexpected ${tokenString(t)} in ${context}`);
  };
  const expect = (type: Item, context: string): Token => {
    const t = nextNonSpace();
    if (t.type !== type) unexpected(t, context);
    return t;
  };
  const deeper = (pos: number) => {
    if (++nesting > maxNesting) fail(`template nests deeper than ${maxNesting} levels`, pos);
  };

  const newList = (pos: number): ListNode => ({ kind: 'list', pos, src, nodes: [] });

  const newNumber = (t: Token): NumberNode => {
    const kind = t.type === Item.CharConstant ? 'char' : t.type === Item.Complex ? 'complex' : 'number';
    const n = goNumber(t.val, kind);
    if (typeof n === 'string') return errorAt(t, n);
    return { kind: 'number', pos: t.pos, src, text: t.val, ...n };
  };

  const unquote = (t: Token): string => {
    const s = unquoteGoString(t.val);
    if (s === null) return errorAt(t, 'invalid syntax');
    return s;
  };

  const useVar = (pos: number, ident: string): VariableNode => {
    const v: VariableNode = { kind: 'variable', pos, src, ident: ident.split('.') };
    if (!vars.includes(v.ident[0])) fail(`undefined variable ${JSON.stringify(v.ident[0])}`, pos);
    return v;
  };

  const term = (): ArgNode | null => {
    const t = nextNonSpace();
    switch (t.type) {
      case Item.Identifier:
        if (!options.hasFunction(t.val)) errorAt(t, `function ${JSON.stringify(t.val)} not defined`);
        return { kind: 'identifier', pos: t.pos, src, ident: t.val };
      case Item.Dot:
        return { kind: 'dot', pos: t.pos, src };
      case Item.Nil:
        return { kind: 'nil', pos: t.pos, src };
      case Item.Variable:
        return useVar(t.pos, t.val);
      case Item.Field:
        return { kind: 'field', pos: t.pos, src, ident: t.val.slice(1).split('.') };
      case Item.Bool:
        return { kind: 'bool', pos: t.pos, src, value: t.val === 'true' };
      case Item.CharConstant:
      case Item.Complex:
      case Item.Number:
        return newNumber(t);
      case Item.LeftParen: {
        deeper(t.pos);
        const p = pipeline('parenthesized pipeline', Item.RightParen);
        nesting--;
        return p;
      }
      case Item.String:
      case Item.RawString:
        return { kind: 'string', pos: t.pos, src, quoted: t.val, text: unquote(t) };
    }
    backup();
    return null;
  };

  const operand = (): ArgNode | null => {
    const node = term();
    if (node === null) return null;
    if (peek().type !== Item.Field) return node;
    const chainPos = peek().pos;
    const fields: string[] = [];
    while (peek().type === Item.Field) fields.push(...next().val.slice(1).split('.'));
    switch (node.kind) {
      case 'field':
        return { kind: 'field', pos: chainPos, src, ident: [...node.ident, ...fields] };
      case 'variable':
        return { kind: 'variable', pos: chainPos, src, ident: [...node.ident, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot': {
        const shown = node.kind === 'string' ? node.quoted : node.kind === 'number' ? node.text : node.kind;
        const text = node.kind === 'bool' ? String(node.value) : node.kind === 'dot' ? '.' : shown;
        return fail(`unexpected . after term ${JSON.stringify(text)}`, chainPos);
      }
      default:
        return { kind: 'chain', pos: chainPos, src, node, field: fields };
    }
  };

  const command = (): CommandNode => {
    const cmd: CommandNode = { kind: 'command', pos: peekNonSpace().pos, src, args: [] };
    for (;;) {
      peekNonSpace();
      const op = operand();
      if (op !== null) cmd.args.push(op);
      const t = next();
      if (t.type === Item.Space) continue;
      if (t.type === Item.RightDelim || t.type === Item.RightParen) backup();
      else if (t.type !== Item.Pipe) unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) fail('empty command', cmd.pos);
    return cmd;
  };

  const pipeline = (context: string, end: Item): PipeNode => {
    const first = peekNonSpace();
    const pipe: PipeNode = { kind: 'pipe', pos: first.pos, src, isAssign: false, decl: [], cmds: [] };
    for (;;) {
      const v = peekNonSpace();
      if (v.type !== Item.Variable) break;
      const vIndex = index;
      nextNonSpace();
      const after = peekNonSpace();
      if (after.type === Item.Assign || after.type === Item.Declare) {
        pipe.isAssign = after.type === Item.Assign;
        nextNonSpace();
        pipe.decl.push({ kind: 'variable', pos: v.pos, src, ident: [v.val] });
        vars.push(v.val);
      } else if (after.type === Item.Char && after.val === ',') {
        nextNonSpace();
        pipe.decl.push({ kind: 'variable', pos: v.pos, src, ident: [v.val] });
        vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = peekNonSpace().type;
          if (p === Item.Variable || p === Item.RightDelim || p === Item.RightParen) continue;
          fail('range can only initialize variables', after.pos);
        }
        fail(`too many declarations in ${context}`, after.pos);
      } else {
        // "$x foo" or "$x}}": the variable is an argument; put the tokens back.
        index = vIndex;
      }
      break;
    }
    for (;;) {
      const t = nextNonSpace();
      if (t.type === end) {
        if (pipe.cmds.length === 0) fail(`missing value for ${context}`, t.pos);
        for (let i = 1; i < pipe.cmds.length; i++) {
          const k = pipe.cmds[i].args[0].kind;
          if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string') {
            fail(`non executable command in pipeline stage ${i + 1}`, pipe.cmds[i].pos);
          }
        }
        return pipe;
      }
      switch (t.type) {
        case Item.Bool:
        case Item.CharConstant:
        case Item.Complex:
        case Item.Dot:
        case Item.Field:
        case Item.Identifier:
        case Item.Number:
        case Item.Nil:
        case Item.RawString:
        case Item.String:
        case Item.Variable:
        case Item.LeftParen:
          backup();
          pipe.cmds.push(command());
          break;
        default:
          unexpected(t, context);
      }
    }
  };

  const itemList = (): [ListNode, EndNode | ElseNode] => {
    const list = newList(peekNonSpace().pos);
    while (peekNonSpace().type !== Item.EOF) {
      const n = textOrAction();
      if (n.kind === 'end' || n.kind === 'else') return [list, n];
      list.nodes.push(n);
    }
    return fail('unexpected EOF', peekNonSpace().pos);
  };

  const parseControl = (context: 'if' | 'range' | 'with', keywordPos: number): BranchNode => {
    const saved = vars.length;
    deeper(keywordPos);
    const pipe = pipeline(context, Item.RightDelim);
    if (context === 'range') rangeDepth++;
    let [list, nextNode] = itemList();
    if (context === 'range') rangeDepth--;
    let elseList: ListNode | null = null;
    if (nextNode.kind === 'else') {
      const p = peek();
      if (context === 'if' && p.type === Item.If) {
        const kw = next();
        elseList = newList(nextNode.pos);
        elseList.nodes.push(parseControl('if', kw.pos));
      } else if (context === 'with' && p.type === Item.With) {
        const kw = next();
        elseList = newList(nextNode.pos);
        elseList.nodes.push(parseControl('with', kw.pos));
      } else {
        [elseList, nextNode] = itemList();
        if (nextNode.kind !== 'end') fail(`expected end; found ${'{{else}}'}`, nextNode.pos);
      }
    }
    nesting--;
    vars = vars.slice(0, saved);
    return { kind: context, pos: pipe.pos, src, pipe, list, elseList };
  };

  const templateName = (t: Token, context: string): string => {
    if (t.type !== Item.String && t.type !== Item.RawString) unexpected(t, context);
    return unquote(t);
  };

  const addTree = (tree: Tree, pos: number) => {
    const existing = trees.get(tree.name);
    if (!existing || isEmptyTree(existing.root)) {
      trees.set(tree.name, tree);
      return;
    }
    if (!isEmptyTree(tree.root)) fail(`template: multiple definition of template ${JSON.stringify(tree.name)}`, pos);
  };

  const subTree = (treeName: string, context: string, pos: number) => {
    const savedVars = vars;
    const savedRange = rangeDepth;
    vars = ['$'];
    rangeDepth = 0;
    const [root, end] = itemList();
    if (end.kind !== 'end') fail(`unexpected {{else}} in ${context}`, end.pos);
    addTree({ name: treeName, root, src }, pos);
    vars = savedVars;
    rangeDepth = savedRange;
  };

  const action = (): Node => {
    const t = nextNonSpace();
    switch (t.type) {
      case Item.Block: {
        const nameToken = nextNonSpace();
        const blockName = templateName(nameToken, 'block clause');
        const pipe = pipeline('block clause', Item.RightDelim);
        subTree(blockName, 'block clause', nameToken.pos);
        return { kind: 'template', pos: nameToken.pos, src, name: blockName, pipe };
      }
      case Item.Break:
      case Item.Continue: {
        const word = t.type === Item.Break ? 'break' : 'continue';
        const after = nextNonSpace();
        if (after.type !== Item.RightDelim) unexpected(after, `{{${word}}}`);
        if (rangeDepth === 0) fail(`{{${word}}} outside {{range}}`, t.pos);
        return { kind: word, pos: t.pos, src };
      }
      case Item.Else: {
        const p = peekNonSpace();
        if (p.type === Item.If || p.type === Item.With) return { kind: 'else', pos: p.pos, src };
        const d = expect(Item.RightDelim, 'else');
        return { kind: 'else', pos: d.pos, src };
      }
      case Item.End:
        return { kind: 'end', pos: expect(Item.RightDelim, 'end').pos, src };
      case Item.If:
        return parseControl('if', t.pos);
      case Item.Range:
        return parseControl('range', t.pos);
      case Item.With:
        return parseControl('with', t.pos);
      case Item.Template: {
        const nameToken = nextNonSpace();
        const tname = templateName(nameToken, 'template clause');
        let pipe: PipeNode | null = null;
        if (nextNonSpace().type !== Item.RightDelim) {
          backup();
          pipe = pipeline('template clause', Item.RightDelim);
        }
        return { kind: 'template', pos: nameToken.pos, src, name: tname, pipe };
      }
    }
    backup();
    const pos = peek().pos;
    return { kind: 'action', pos, src, pipe: pipeline('command', Item.RightDelim) };
  };

  const textOrAction = (): Node => {
    const t = nextNonSpace();
    switch (t.type) {
      case Item.Text:
        return { kind: 'text', pos: t.pos, src, text: t.val };
      case Item.LeftDelim: {
        const saved = actionStart;
        actionStart = t.pos;
        const n = action();
        actionStart = saved;
        return n;
      }
      case Item.Comment:
        return { kind: 'comment', pos: t.pos, src };
    }
    return unexpected(t, 'input');
  };

  // Top level.
  const root = newList(peek().pos);
  while (peek().type !== Item.EOF) {
    if (peek().type === Item.LeftDelim) {
      const delim = next();
      const kw = nextNonSpace();
      if (kw.type === Item.Define) {
        const nameToken = expectOneOfString('define clause');
        const defName = unquote(nameToken);
        expect(Item.RightDelim, 'define clause');
        const savedStart = actionStart;
        actionStart = delim.pos;
        subTree(defName, 'define clause', nameToken.pos);
        actionStart = savedStart;
        continue;
      }
      // Put back the delimiter and the keyword (and any spaces between).
      while (tokens[index - 1] !== delim) index--;
      index--;
    }
    const n = textOrAction();
    if (n.kind === 'end' || n.kind === 'else') fail(`unexpected ${n.kind === 'end' ? '{{end}}' : '{{else}}'}`, n.pos);
    root.nodes.push(n);
  }
  if (peek().type === Item.Error) unexpected(peek(), 'input');
  addTree({ name, root, src }, 0);
  return trees;

  function expectOneOfString(context: string): Token {
    const t = nextNonSpace();
    if (t.type !== Item.String && t.type !== Item.RawString) unexpected(t, context);
    return t;
  }
}
