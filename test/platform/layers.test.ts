import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The layer rules of docs/architecture.md, checked on the import statements of `src/`:
 * - engines (pure libraries) import no HTTP, database or module code, nor the platform;
 * - the platform imports no module (nor the app or the command line that assemble modules);
 * - module folders import each other's public functions only without cycles.
 * Type-only imports count too: a cycle of types is a cycle of knowledge all the same.
 */

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Packages that are HTTP or database code: an engine importing one is no longer pure. */
const IO_PACKAGES = [
  'fastify',
  'kysely',
  'pg',
  'better-sqlite3',
  'undici',
  'nodemailer',
  'node:http',
  'node:https',
  'node:net',
  'node:child_process',
];

interface Edge {
  from: string;
  /** A path relative to `src/` for relative imports, else the package's name. */
  to: string;
  local: boolean;
  line: number;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

// `import ... from 'x'`, `export ... from 'x'`, `import 'x'` and `import('x')`, whatever the line breaks.
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)'([^']+)'/g;

/** Every import of the files under `root`. */
export function importsOf(root: string): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(root)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1];
      const line = text.slice(0, match.index).split('\n').length;
      const local = spec.startsWith('.');
      const to = local
        ? relative(root, resolve(dirname(file), spec))
            .split(sep)
            .join('/')
        : spec;
      edges.push({ from: relative(root, file).split(sep).join('/'), to, local, line });
    }
  }
  return edges;
}

const where = (e: Edge) => `src/${e.from}:${e.line} imports ${e.to}`;
const underSrc = (to: string, folder: string) => to === folder || to.startsWith(`${folder}/`);

export function layerViolations(edges: Edge[]): string[] {
  const problems: string[] = [];
  for (const e of edges) {
    const local = e.local;
    if (underSrc(e.from, 'engines')) {
      if (local && !underSrc(e.to, 'engines')) problems.push(`engine reaches outside engines/: ${where(e)}`);
      if (IO_PACKAGES.some((p) => e.to === p || e.to.startsWith(`${p}/`)))
        problems.push(`engine imports HTTP or database code: ${where(e)}`);
    }
    if (underSrc(e.from, 'platform') && local) {
      const outside = ['modules', 'commands', 'app.js', 'worker.js', 'main.js'].find((f) => underSrc(e.to, f));
      if (outside) problems.push(`platform imports ${outside}: ${where(e)}`);
    }
  }
  return problems;
}

/** The folder of a module file (`modules/teams/repo.ts` -> `teams`); undefined outside module folders. */
function moduleOf(path: string): string | undefined {
  const parts = path.split('/');
  return parts[0] === 'modules' && parts.length > 2 ? parts[1] : undefined;
}

/** Strongly connected components (Tarjan) of more than one module folder, each with an edge as proof. */
export function moduleCycles(edges: Edge[]): string[][] {
  const graph = new Map<string, Map<string, Edge>>();
  for (const e of edges) {
    const from = moduleOf(e.from);
    const to = moduleOf(e.to);
    if (!from || !to || from === to) continue;
    if (!graph.has(from)) graph.set(from, new Map());
    if (!graph.has(to)) graph.set(to, new Map());
    if (!graph.get(from)?.has(to)) graph.get(from)?.set(to, e);
  }
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return components.map((component) =>
    component.flatMap((from) =>
      component.filter((to) => graph.get(from)?.has(to)).map((to) => where(graph.get(from)?.get(to) as Edge)),
    ),
  );
}

describe('layer rules (docs/architecture.md)', () => {
  const edges = importsOf(SRC);

  it('reads the imports of the source tree', () => {
    assert.ok(edges.length > 200, `only ${edges.length} imports found: is the pattern broken?`);
    assert.ok(edges.some((e) => e.from === 'modules/teams/routes.ts' && e.to.startsWith('platform/')));
  });

  it('engines import no HTTP, database, platform or module code; the platform imports no module', () => {
    assert.deepEqual(layerViolations(edges), []);
  });

  it('has no import cycle between module folders', () => {
    assert.deepEqual(moduleCycles(edges), []);
  });

  it('would notice a violation of each rule', () => {
    const fake = (from: string, to: string): Edge => ({ from, to, local: !/^[a-z-]+(:|$)/.test(to), line: 1 });
    assert.equal(layerViolations([fake('engines/rego/x.ts', 'platform/db/database.js')]).length, 1);
    assert.equal(layerViolations([fake('engines/rego/x.ts', 'kysely')]).length, 1);
    assert.equal(layerViolations([fake('platform/http/x.ts', 'modules/teams/repo.js')]).length, 1);
    assert.equal(
      moduleCycles([fake('modules/a/x.ts', 'modules/b/y.js'), fake('modules/b/y.ts', 'modules/a/z.js')]).length,
      1,
    );
  });
});
