// `gantry policy eval`: evaluate a Rego query against policy files, an input and a data document, for
// policy authors. It reads no configuration and opens no database.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { compileModules, evaluate, RegoError, toJSON } from '../engines/rego/index.js';

export interface CommandIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export const POLICY_EVAL_USAGE =
  'usage: gantry policy eval --query QUERY [--input FILE] [--data FILE] [--max-steps N] [--timeout-ms N] MODULE.rego…';

interface Parsed {
  query: string;
  input?: string;
  data?: string;
  maxSteps?: number;
  timeoutMs?: number;
  modules: string[];
  help: boolean;
}

function parse(args: string[]): Parsed | string {
  const rest = [...args];
  if (rest[0] === 'policy') rest.shift();
  if (rest[0] === 'eval') rest.shift();
  const out: Parsed = { query: '', modules: [], help: false };
  let query: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '-h' || arg === '--help') {
      out.help = true;
      continue;
    }
    if (arg === '--') {
      out.modules.push(...rest.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      out.modules.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string | undefined = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (!['query', 'input', 'data', 'max-steps', 'timeout-ms'].includes(name)) return `unknown option --${name}`;
    if (value === undefined) {
      value = rest[++i];
      if (value === undefined) return `--${name} needs a value`;
    }
    switch (name) {
      case 'query':
        query = value;
        break;
      case 'input':
        out.input = value;
        break;
      case 'data':
        out.data = value;
        break;
      default: {
        const n = Number(value);
        if (!Number.isInteger(n) || n <= 0) return `--${name} must be a positive integer, got "${value}"`;
        if (name === 'max-steps') out.maxSteps = n;
        else out.timeoutMs = n;
      }
    }
  }
  if (out.help) return out;
  if (query === undefined || query.trim() === '') return '--query is required';
  out.query = query;
  return out;
}

/** A JSON document, or YAML for `.yaml`/`.yml` files. */
function readDocument(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  if (/\.ya?ml$/i.test(path)) return YAML.parse(text);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: invalid JSON: ${(e as Error).message}`);
  }
}

/**
 * Prints the query's value as JSON (sets as sorted arrays) on stdout, nothing when it is undefined.
 * Returns 0 on success, 1 on a parse, evaluation or file error (printed on stderr with its location),
 * 2 on bad usage.
 */
export async function policyEval(args: string[], io: CommandIO): Promise<number> {
  const parsed = parse(args);
  if (typeof parsed === 'string') {
    io.stderr(`gantry policy eval: ${parsed}\n${POLICY_EVAL_USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    io.stdout(`${POLICY_EVAL_USAGE}\n`);
    return 0;
  }
  let sources: { file: string; text: string }[];
  let input: unknown;
  let data: unknown;
  try {
    sources = parsed.modules.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
    if (parsed.input !== undefined) input = readDocument(parsed.input);
    if (parsed.data !== undefined) data = readDocument(parsed.data);
  } catch (e) {
    io.stderr(`gantry policy eval: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    const compiled = compileModules(sources);
    const r = evaluate(compiled, {
      query: parsed.query,
      input,
      data,
      maxSteps: parsed.maxSteps,
      timeoutMs: parsed.timeoutMs,
    });
    for (const p of r.prints) io.stderr(`${p.file}:${p.line}: ${p.message}\n`);
    if (r.value !== undefined) io.stdout(`${JSON.stringify(toJSON(r.value), null, 2)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof RegoError) {
      io.stderr(`${e.kind} error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
