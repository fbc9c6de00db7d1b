// YAML as Go's yaml.v2 Unmarshal reads stack files: YAML 1.1 scalars (yes/no/on/off booleans), anchors
// and `<<` merges, and a repeated key that keeps its last value instead of failing.

import { isAlias, isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { FormsError } from './errors.js';

export interface YamlWarning {
  message: string;
  line: number;
}

export interface ParsedYaml {
  value: unknown;
  warnings: YamlWarning[];
}

/** Aliases expanded per document: a few hundred cover real files, and a "billion laughs" stops early. */
const MAX_ALIAS_COUNT = 1_000;

export const GO_YAML_OPTIONS = { version: '1.1', merge: true, uniqueKeys: false } as const;

/**
 * Parses one YAML document the way yaml.v2 does. Throws FormsError naming the line of the first syntax
 * error; duplicate keys become warnings (the last value wins, as in yaml.v2).
 */
export function parseGoYaml(text: string, name = 'forms'): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { ...GO_YAML_OPTIONS, lineCounter: lines, prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    const line = lines.linePos(error.pos[0]).line;
    throw new FormsError(`${name}:${line}: ${firstLine(error.message)}`);
  }
  const warnings: YamlWarning[] = [];
  if (doc.contents) collectDuplicates(doc.contents as YamlNode, lines, warnings, name);
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), warnings };
  } catch (e) {
    throw new FormsError(`${name}: ${firstLine((e as Error).message)}`);
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

function collectDuplicates(root: YamlNode, lines: LineCounter, out: YamlWarning[], name: string): void {
  // Iterative walk: a deeply nested file must not exhaust the stack.
  const stack: unknown[] = [root];
  const seen = new Set<unknown>();
  while (stack.length > 0) {
    const node = stack.pop();
    if (!node || typeof node !== 'object' || seen.has(node) || isAlias(node)) continue;
    seen.add(node);
    if (isMap(node)) {
      const keys = new Map<string, number>();
      for (const pair of node.items) {
        const key = scalarKey(pair.key);
        if (key !== undefined) {
          const line = lines.linePos((pair.key as YamlNode).range?.[0] ?? 0).line;
          if (keys.has(key) && key !== '<<') {
            out.push({
              message: `${name}:${line}: key "${key}" repeated (first at line ${keys.get(key)}): the last value is kept`,
              line,
            });
          }
          keys.set(key, line);
        }
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
}

function scalarKey(key: unknown): string | undefined {
  if (key && typeof key === 'object' && 'value' in key) {
    const v = (key as { value: unknown }).value;
    if (v === null || typeof v !== 'object') return String(v);
  }
  return undefined;
}
