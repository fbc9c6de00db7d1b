import type { GoNumber } from './literals.js';

// Parse tree of a template, as in Go's text/template/parse/node.go.

/** Where a node comes from: the text it was parsed from and the name errors show for it. */
export interface Source {
  text: string;
  /** Name of the top-level template being parsed when this node was read (Go's ParseName). */
  parseName: string;
}

interface Base {
  pos: number;
  src: Source;
}

export interface TextNode extends Base {
  kind: 'text';
  text: string;
}
export interface CommentNode extends Base {
  kind: 'comment';
}
export interface ActionNode extends Base {
  kind: 'action';
  pipe: PipeNode;
}
export interface BreakNode extends Base {
  kind: 'break';
}
export interface ContinueNode extends Base {
  kind: 'continue';
}
export interface ListNode extends Base {
  kind: 'list';
  nodes: Node[];
}
export interface BranchNode extends Base {
  kind: 'if' | 'range' | 'with';
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | null;
}
export interface TemplateNode extends Base {
  kind: 'template';
  name: string;
  pipe: PipeNode | null;
}
export interface PipeNode extends Base {
  kind: 'pipe';
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}
export interface CommandNode extends Base {
  kind: 'command';
  args: ArgNode[];
}
export interface IdentifierNode extends Base {
  kind: 'identifier';
  ident: string;
}
export interface VariableNode extends Base {
  kind: 'variable';
  ident: string[];
}
export interface DotNode extends Base {
  kind: 'dot';
}
export interface NilNode extends Base {
  kind: 'nil';
}
export interface FieldNode extends Base {
  kind: 'field';
  ident: string[];
}
export interface ChainNode extends Base {
  kind: 'chain';
  node: ArgNode;
  field: string[];
}
export interface BoolNode extends Base {
  kind: 'bool';
  value: boolean;
}
export interface NumberNode extends Base, GoNumber {
  kind: 'number';
  text: string;
}
export interface StringNode extends Base {
  kind: 'string';
  quoted: string;
  text: string;
}
/** Internal markers returned by itemList for {{end}} and {{else}}. */
export interface EndNode extends Base {
  kind: 'end';
}
export interface ElseNode extends Base {
  kind: 'else';
}

export type ArgNode =
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | FieldNode
  | ChainNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

export type Node =
  | TextNode
  | CommentNode
  | ActionNode
  | BreakNode
  | ContinueNode
  | ListNode
  | BranchNode
  | TemplateNode
  | PipeNode
  | CommandNode
  | ArgNode
  | EndNode
  | ElseNode;

/** Renders a node back to template source, as Go's Node.String() does (used in error messages). */
export function nodeString(n: Node): string {
  switch (n.kind) {
    case 'text':
      return JSON.stringify(n.text);
    case 'comment':
      return '{{/* */}}';
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'if':
    case 'range':
    case 'with': {
      let s = `{{${n.kind} ${nodeString(n.pipe)}}}${nodeString(n.list)}`;
      if (n.elseList) s += `{{else}}${nodeString(n.elseList)}`;
      return `${s}{{end}}`;
    }
    case 'template':
      return n.pipe
        ? `{{template ${JSON.stringify(n.name)} ${nodeString(n.pipe)}}}`
        : `{{template ${JSON.stringify(n.name)}}}`;
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) {
        s = `${n.decl.map(nodeString).join(', ')} ${n.isAssign ? '=' : ':='} `;
      }
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.kind === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'identifier':
      return n.ident;
    case 'variable':
      return n.ident.join('.');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'field':
      return n.ident.map((i) => `.${i}`).join('');
    case 'chain': {
      const head = n.node.kind === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return head + n.field.map((f) => `.${f}`).join('');
    }
    case 'bool':
      return n.value ? 'true' : 'false';
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'end':
      return '{{end}}';
    case 'else':
      return '{{else}}';
  }
}

const lineStartsCache = new WeakMap<Source, number[]>();

/** Line (from 1) and column (bytes from 0, as Go counts) of an offset in a node's source. */
export function location(src: Source, pos: number): { line: number; column: number } {
  let starts = lineStartsCache.get(src);
  if (!starts) {
    starts = [0];
    for (let i = src.text.indexOf('\n'); i >= 0; i = src.text.indexOf('\n', i + 1)) starts.push(i + 1);
    lineStartsCache.set(src, starts);
  }
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= pos) lo = mid;
    else hi = mid - 1;
  }
  const column = Buffer.byteLength(src.text.slice(starts[lo], pos));
  return { line: lo + 1, column };
}
