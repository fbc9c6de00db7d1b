// HCL literal expressions read back as JSON-like values (the inverse of hclLiteral): what a form wrote
// into a Terraform file, compared with what other technologies hold. Anything beyond literals (a
// reference, a function call, a template with interpolations) is not a value: undefined.

import { HclError, type Token, tokenize } from './lex.js';

const MAX_DEPTH = 64;

/** The value of a literal expression (string, number, bool, null, list, object), or undefined. */
export function hclLiteralValue(text: string): unknown {
  let tokens: Token[];
  try {
    tokens = tokenize(text).filter((t) => t.kind !== 'space' && t.kind !== 'newline' && t.kind !== 'comment');
  } catch (e) {
    if (e instanceof HclError) return undefined;
    throw e;
  }
  const reader = new Reader(tokens);
  try {
    const value = reader.value(0);
    return reader.done() ? value : undefined;
  } catch (e) {
    if (e instanceof NotLiteral) return undefined;
    throw e;
  }
}

class NotLiteral extends Error {}

class Reader {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  done(): boolean {
    return this.i === this.tokens.length;
  }

  private next(): Token {
    const t = this.tokens[this.i++];
    if (!t) throw new NotLiteral();
    return t;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new NotLiteral();
    const t = this.next();
    if (t.kind === 'string') return stringValue(t.text);
    if (t.kind === 'number') return numberValue(t.text);
    if (t.kind === 'punct' && t.text === '-' && this.peek()?.kind === 'number') return -numberValue(this.next().text);
    if (t.kind === 'ident') {
      if (t.text === 'true') return true;
      if (t.text === 'false') return false;
      if (t.text === 'null') return null;
      throw new NotLiteral();
    }
    if (t.text === '[') return this.list(depth);
    if (t.text === '{') return this.object(depth);
    throw new NotLiteral();
  }

  private list(depth: number): unknown[] {
    const out: unknown[] = [];
    for (;;) {
      if (this.peek()?.text === ']') {
        this.i++;
        return out;
      }
      out.push(this.value(depth + 1));
      const sep = this.next();
      if (sep.text === ']') return out;
      if (sep.text !== ',') throw new NotLiteral();
    }
  }

  private object(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (;;) {
      const key = this.next();
      if (key.text === '}') return out;
      const name = key.kind === 'ident' ? key.text : key.kind === 'string' ? stringValue(key.text) : undefined;
      if (typeof name !== 'string') throw new NotLiteral();
      const eq = this.next();
      if (eq.text !== '=' && eq.text !== ':') throw new NotLiteral();
      out[name] = this.value(depth + 1);
      if (this.peek()?.text === ',') this.i++;
    }
  }
}

function numberValue(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new NotLiteral();
  return n;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

/** A quoted string without interpolation: its escapes decoded, `$${` and `%%{` back to `${`, `%{`. */
function stringValue(text: string): string {
  if (!text.startsWith('"') || !text.endsWith('"') || text.length < 2) throw new NotLiteral();
  const body = text.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') {
      const e = body[++i];
      if (e === undefined) throw new NotLiteral();
      if (e === 'u' || e === 'U') {
        const len = e === 'u' ? 4 : 8;
        const hex = body.slice(i + 1, i + 1 + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw new NotLiteral();
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        i += len;
      } else if (ESCAPES[e] !== undefined) out += ESCAPES[e];
      else throw new NotLiteral();
    } else if ((c === '$' || c === '%') && body[i + 1] === c && body[i + 2] === '{') {
      out += `${c}{`;
      i += 2;
    } else if ((c === '$' || c === '%') && body[i + 1] === '{') {
      throw new NotLiteral();
    } else out += c;
  }
  return out;
}
