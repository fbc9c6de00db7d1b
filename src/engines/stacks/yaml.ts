// YAML read the way Go's yaml.v2 `Unmarshal` reads stack files: YAML 1.1 scalars (yes/no/on/off are
// booleans), anchors and `<<` merges, and a key repeated in one mapping keeps its last value (yaml.v2
// accepts it; seven public forms files repeat `description` in one variable) with a warning.

import { isMap, isScalar, LineCounter, parseDocument, visit } from 'yaml';

/** A problem in one file: where (line from 1, when known) and why. */
export interface FileProblem {
  file: string;
  line?: number;
  reason: string;
}

export class StackFileError extends Error {
  override name = 'StackFileError';
  constructor(readonly problem: FileProblem) {
    super(`${problem.file}${problem.line ? `:${problem.line}` : ''}: ${problem.reason}`);
  }
}

export interface GoYaml {
  value: unknown;
  /**
   * The same tree with every number and boolean as written (`1.10`, `yes`): what yaml.v2 stores in a
   * Go string field, where the JavaScript value would read `1.1` and `true`.
   */
  texts: unknown;
  warnings: FileProblem[];
  /** Line (from 1) of each key of the top-level mapping: where a problem with a field is reported. */
  keyLines: Map<string, number>;
}

/** Aliases expanded per document at most this many times: a "billion laughs" file ends with an error. */
const MAX_ALIAS_COUNT = 10_000;

/** Parses one YAML document as yaml.v2 would; throws StackFileError naming the file and line. */
export function readGoYaml(text: string, file: string): GoYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', merge: true, uniqueKeys: false, lineCounter, prettyErrors: false });
  const lineOf = (offset: number | undefined) => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  const first = doc.errors[0];
  if (first) {
    throw new StackFileError({ file, line: lineOf(first.pos[0]), reason: firstLine(first.message) });
  }
  const warnings: FileProblem[] = [];
  const keyLines = new Map<string, number>();
  if (isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      const line = isScalar(pair.key) ? lineOf(pair.key.range?.[0]) : undefined;
      if (line !== undefined) keyLines.set(String((pair.key as { value: unknown }).value), line);
    }
  }
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const name = String(pair.key.value);
        if (seen.has(name)) {
          warnings.push({
            file,
            line: lineOf(pair.key.range?.[0]),
            reason: `key "${name}" is repeated in one mapping: the last value is kept`,
          });
        }
        seen.add(name);
      }
    },
  });
  try {
    const value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    visit(doc, {
      Scalar(_key, node) {
        if (typeof node.value === 'number' || typeof node.value === 'boolean') {
          node.value = node.source ?? String(node.value);
        }
      },
    });
    return { value, texts: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), warnings, keyLines };
  } catch (error) {
    throw new StackFileError({ file, reason: firstLine((error as Error).message) });
  }
}

/** True for a YAML mapping read into a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
