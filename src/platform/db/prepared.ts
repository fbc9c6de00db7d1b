import type { Compilable, CompiledQuery } from 'kysely';
import { type DbHandle, type Engine, engineOf } from './database.js';

/**
 * A query of fixed shape, built and compiled by Kysely once per engine, then executed with new
 * parameter values. Building and compiling a Kysely query costs as much as running a short one on
 * SQLite; hot reads (an entity by canonical, an API key by prefix) pay it once per process instead of
 * once per request.
 *
 *   const byCanonical = prepared((db, p: { org: number; canonical: string }) =>
 *     db.selectFrom('teams').selectAll().where('organization_id', '=', p.org).where('canonical', '=', p.canonical));
 *   const team = await byCanonical.first(db, { org: 1, canonical: 'ops' });
 *
 * `p` stands for the values: each property is a placeholder that must end up as one bound parameter
 * (a plain comparison, insert value or limit), never spread into a list or inlined; compiling checks
 * that every placeholder was bound. Shapes that vary with the input (`in` lists, optional filters) stay
 * ordinary Kysely queries.
 */
export interface Prepared<P, Row> {
  all(db: DbHandle, params: P): Promise<Row[]>;
  first(db: DbHandle, params: P): Promise<Row | undefined>;
}

const MARK = '\u0000gantry-param:';

interface Compiled {
  /** For each bound parameter: the name of a placeholder, or a constant (wrapped) from the builder. */
  slots: Array<{ name: string } | { constant: unknown }>;
  template: CompiledQuery;
}

export function prepared<P extends Record<string, unknown>, Row>(
  build: (db: DbHandle, p: P) => Compilable<Row>,
): Prepared<P, Row> {
  const byEngine = new Map<Engine, Compiled>();
  const compile = (db: DbHandle): Compiled => {
    const engine = engineOf(db);
    let compiled = byEngine.get(engine);
    if (compiled) return compiled;
    const names = new Set<string>();
    const placeholders = new Proxy({} as P, {
      get: (_target, name) => {
        if (typeof name !== 'string') return undefined;
        names.add(name);
        return `${MARK}${name}`;
      },
    });
    const template = build(db, placeholders).compile();
    const bound = new Set<string>();
    const slots = template.parameters.map((value) => {
      if (typeof value === 'string' && value.startsWith(MARK)) {
        const name = value.slice(MARK.length);
        bound.add(name);
        return { name };
      }
      return { constant: value };
    });
    for (const name of names) {
      if (!bound.has(name)) throw new Error(`prepared query: placeholder '${name}' is not a bound parameter`);
    }
    compiled = { slots, template };
    byEngine.set(engine, compiled);
    return compiled;
  };
  const run = async (db: DbHandle, params: P): Promise<Row[]> => {
    const { slots, template } = compile(db);
    const parameters = slots.map((slot) => ('name' in slot ? params[slot.name] : slot.constant));
    const result = await db.executeQuery<Row>({ ...template, parameters } as CompiledQuery<Row>);
    return result.rows;
  };
  return {
    all: run,
    first: async (db, params) => (await run(db, params))[0],
  };
}
