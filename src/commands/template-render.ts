// `gantry template render [--delims LEFT,RIGHT] [--data FILE.json] TEMPLATE_FILE`: renders one template
// with Go text/template semantics and the stack engine's functions. Reads no configuration and opens
// no database.

import { readFile } from 'node:fs/promises';
import { fromJSON, Template, TemplateError, type Value } from '../engines/stacktpl/index.js';

export const TEMPLATE_RENDER_USAGE = `usage: gantry template render [--delims LEFT,RIGHT] [--data FILE.json] TEMPLATE_FILE

Renders TEMPLATE_FILE as a Go text/template (default delimiters {{ }}) with the stack engine's
functions, and prints the result. --data gives the data as JSON (objects are maps, arrays slices,
numbers float64, as Go decodes JSON). A missing key prints "<no value>", as in Go.
Exit status: 0 rendered, 1 template error (shown with line and column), 2 usage error.
`;

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

interface Parsed {
  delims?: [string, string];
  dataFile?: string;
  templateFile: string;
}

function parseArgs(args: string[]): Parsed | string {
  let delims: [string, string] | undefined;
  let dataFile: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    if (flag === '--delims' || flag === '--data') {
      const value = inline ?? args[++i];
      if (value === undefined) return `${flag} needs a value`;
      if (flag === '--data') {
        dataFile = value;
        continue;
      }
      const comma = value.indexOf(',');
      if (comma <= 0 || comma === value.length - 1) return '--delims takes LEFT,RIGHT (two non-empty delimiters)';
      delims = [value.slice(0, comma), value.slice(comma + 1)];
      continue;
    }
    if (a === '-h' || a === '--help') return 'help';
    if (a.startsWith('-') && a !== '-') return `unknown option ${a}`;
    files.push(a);
  }
  if (files.length !== 1)
    return files.length === 0 ? 'a TEMPLATE_FILE is needed' : 'only one TEMPLATE_FILE may be given';
  return { delims, dataFile, templateFile: files[0] };
}

export async function templateRender(args: string[], io: Io): Promise<number> {
  const parsed = parseArgs(args);
  if (parsed === 'help') {
    io.stdout(TEMPLATE_RENDER_USAGE);
    return 0;
  }
  if (typeof parsed === 'string') {
    io.stderr(`gantry template render: ${parsed}\n`);
    io.stderr(TEMPLATE_RENDER_USAGE);
    return 2;
  }
  let text: string;
  try {
    text = await readFile(parsed.templateFile, 'utf8');
  } catch (e) {
    io.stderr(
      `gantry template render: cannot read ${parsed.templateFile}: ${(e as NodeJS.ErrnoException).code ?? e}\n`,
    );
    return 2;
  }
  let data: Value;
  if (parsed.dataFile !== undefined) {
    try {
      data = fromJSON(JSON.parse(await readFile(parsed.dataFile, 'utf8')));
    } catch (e) {
      const reason =
        e instanceof SyntaxError ? `not valid JSON: ${e.message}` : ((e as NodeJS.ErrnoException).code ?? String(e));
      io.stderr(`gantry template render: cannot read the data ${parsed.dataFile}: ${reason}\n`);
      return 2;
    }
  }
  try {
    const name = parsed.templateFile.split(/[\\/]/).pop() || parsed.templateFile;
    const result = new Template(name, { delims: parsed.delims }).parse(text).execute(data);
    io.stdout(result.output);
    return 0;
  } catch (e) {
    if (e instanceof TemplateError) {
      io.stderr(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
