// A set of templates sharing delimiters, functions and options, as Go's *template.Template is.

import { builtinFuncs } from './builtins.js';
import {
  type Budgets,
  DEFAULT_BUDGETS,
  type ExecEnv,
  type MissingKey,
  State,
  type TemplateFunc,
  type TemplateWarning,
} from './exec.js';
import { isEmptyTree, parseTemplate, type Tree } from './parse.js';
import { sprigFuncs } from './sprig.js';
import type { Value } from './values.js';

export interface TemplateOptions {
  /** Left and right delimiters; Go's `{{` and `}}` by default. */
  delims?: [string, string];
  /** Extra functions; they take precedence over the builtins, as in Go. */
  funcs?: Record<string, TemplateFunc>;
  /** Include the Sprig and Helm functions (default true). */
  sprig?: boolean;
  missingKey?: MissingKey;
  budgets?: Partial<Budgets>;
}

export interface RenderResult {
  output: string;
  warnings: TemplateWarning[];
  /** Steps the execution used, so that callers rendering many files can share one budget. */
  steps: number;
}

/** Builtins plus Sprig and Helm, shared (never modified) by templates without functions of their own. */
let sprigCache: Map<string, TemplateFunc> | null = null;
let builtinCache: Map<string, TemplateFunc> | null = null;

export class Template {
  private readonly trees = new Map<string, Tree>();
  private readonly funcs: Map<string, TemplateFunc>;
  private readonly leftDelim: string;
  private readonly rightDelim: string;
  readonly missingKey: MissingKey;
  readonly budgets: Budgets;

  constructor(
    readonly name: string,
    options: TemplateOptions = {},
  ) {
    builtinCache ??= builtinFuncs();
    const extra = Object.entries(options.funcs ?? {});
    if (options.sprig !== false) {
      if (!sprigCache) {
        sprigCache = new Map(builtinCache);
        for (const [k, v] of sprigFuncs()) sprigCache.set(k, v);
      }
      this.funcs = extra.length === 0 ? sprigCache : new Map(sprigCache);
    } else {
      this.funcs = new Map(builtinCache);
    }
    for (const [k, v] of extra) this.funcs.set(k, v);
    this.leftDelim = options.delims?.[0] || '{{';
    this.rightDelim = options.delims?.[1] || '}}';
    this.missingKey = options.missingKey ?? 'default';
    this.budgets = { ...DEFAULT_BUDGETS, ...options.budgets };
  }

  private parseTrees(name: string, text: string, literalFrom?: number): Map<string, Tree> {
    return parseTemplate(name, text, {
      leftDelim: this.leftDelim,
      rightDelim: this.rightDelim,
      hasFunction: (f) => this.funcs.has(f),
      literalFrom,
    });
  }

  /**
   * Parses `text` as the body of this template (and any {{define}} in it). A later definition of a
   * name replaces an earlier one, unless the later one is empty.
   */
  parse(text: string, options: { literalFrom?: number } = {}): this {
    for (const [k, tree] of this.parseTrees(this.name, text, options.literalFrom)) {
      const old = this.trees.get(k);
      if (old && isEmptyTree(tree.root) && !isEmptyTree(old.root)) continue;
      this.trees.set(k, tree);
    }
    return this;
  }

  /** A copy sharing nothing mutable, so that redefinitions in the copy leave this one alone. */
  clone(): Template {
    const t = Object.create(Template.prototype) as Template;
    Object.assign(t, this);
    (t as unknown as { trees: Map<string, Tree> }).trees = new Map(this.trees);
    return t;
  }

  templateNames(): string[] {
    return [...this.trees.keys()];
  }

  /** Executes this template, or the associated template `name`, with `data`. */
  execute(data: Value, name = this.name): RenderResult {
    const env: ExecEnv = {
      trees: this.trees,
      funcs: this.funcs,
      missingKey: this.missingKey,
      budgets: this.budgets,
      parse: (n, text) => this.parseTrees(n, text),
    };
    return State.start(env, name, data);
  }
}

/** Parses and executes `text` in one go. */
export function renderTemplate(
  text: string,
  data: Value,
  options: TemplateOptions & { name?: string } = {},
): RenderResult {
  return new Template(options.name ?? 'template', options).parse(text).execute(data);
}
