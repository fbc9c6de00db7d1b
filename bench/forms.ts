// Loads, validates and interpolates (with defaults) every fixture forms file and prints the time per
// file; the target is under 5 ms per forms file for validate + interpolate.
// Run: npm run bench:forms [rounds]

import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readStackDirectory } from '../src/commands/stack-render.js';
import { interpolate, loadFormsText, type Samples, validateForms } from '../src/engines/forms/index.js';
import { renderComponentDestinations } from '../src/modules/catalog/stack-render.js';
import { ComputePool } from '../src/platform/compute/pool.js';
import { linearRegExp } from '../src/platform/text/linear-regexp.js';
import { FIXTURE_CONTEXT, FIXTURES, type FormsFixture, formsFixtures } from '../test/engines/forms-fixtures.js';
import { median, out } from './common.js';

const rounds = Number(process.argv[2] ?? 50);
const fixtures = formsFixtures();
if (fixtures.length === 0) {
  out('forms: no fixture stacks found (../shared/fixtures/stacks)');
  process.exit(0);
}

interface Times {
  load: number;
  validate: number;
  interpolate: number;
  /** The slowest single use case: one request renders one use case. */
  worstUseCase: number;
}

/**
 * A variables sample's layout is kept per text (src/engines/forms/yaml-edit.ts): with `fresh`, each
 * round edits a text never seen before (a comment added), the cost of a stack's first request.
 */
let round = 0;
function withFreshText(samples: Samples): Samples {
  return samples.variables === undefined ? samples : { ...samples, variables: `${samples.variables}\n# ${round}\n` };
}

function once(fx: FormsFixture, fresh = false): Times {
  round++;
  const t0 = performance.now();
  const loaded = loadFormsText(fx.text, { stackVersion: fx.stackVersion, context: FIXTURE_CONTEXT, name: fx.label });
  const t1 = performance.now();
  const { forms } = validateForms(loaded.file, { compileRegExp: linearRegExp });
  const t2 = performance.now();
  let worstUseCase = 0;
  for (const uc of forms.use_cases) {
    const samples = fx.useCases.get(uc.name);
    const started = performance.now();
    if (samples) {
      interpolate(
        forms,
        uc.name,
        {},
        { samples: fresh ? withFreshText(samples) : samples, compileRegExp: linearRegExp },
      );
    }
    worstUseCase = Math.max(worstUseCase, performance.now() - started);
  }
  const t3 = performance.now();
  return { load: t1 - t0, validate: t2 - t1, interpolate: t3 - t2, worstUseCase };
}

for (const fx of fixtures) once(fx); // warm-up
const perFile = new Map<string, Times[]>();
const perFileFresh = new Map<string, Times[]>();
// Fresh texts would push the kept layouts out: each kind is measured in its own pass.
for (const [times, fresh] of [
  [perFile, false],
  [perFileFresh, true],
] as const) {
  for (let i = 0; i < rounds; i++) {
    for (const fx of fixtures) {
      const list = times.get(fx.label) ?? [];
      list.push(once(fx, fresh));
      times.set(fx.label, list);
    }
  }
}

const ms = (n: number) => n.toFixed(3).padStart(7);
out(`forms: ${fixtures.length} forms files x ${rounds} rounds (median per file, ms)`);
out(
  `  ${'file'.padEnd(52)} ${'load'.padStart(7)} ${'validate'.padStart(8)} ${'interp.'.padStart(7)} ${'v+i'.padStart(7)}`,
);
const sums: number[] = [];
const perUseCase: number[] = [];
for (const [label, times] of perFile) {
  const load = median(times.map((t) => t.load));
  const validate = median(times.map((t) => t.validate));
  const interp = median(times.map((t) => t.interpolate));
  sums.push(validate + interp);
  perUseCase.push(validate + median(times.map((t) => t.worstUseCase)));
  out(`  ${label.padEnd(52)} ${ms(load)} ${ms(validate).padStart(8)} ${ms(interp)} ${ms(validate + interp)}`);
}
const worst = Math.max(...sums);
out(
  `validate + interpolate of every use case: median ${median(sums).toFixed(3)} ms, worst ${worst.toFixed(3)} ms per forms file`,
);
out(
  `validate + interpolate of one use case (the slowest): median ${median(perUseCase).toFixed(3)} ms, worst ${Math.max(...perUseCase).toFixed(3)} ms (target < 5 ms)`,
);
const fresh = [...perFileFresh.values()].map((times) => ({
  all: median(times.map((t) => t.validate + t.interpolate)),
  one: median(times.map((t) => t.validate + t.worstUseCase)),
}));
out(
  `with sample texts never edited before: worst ${Math.max(...fresh.map((f) => f.all)).toFixed(3)} ms per forms file, worst ${Math.max(...fresh.map((f) => f.one)).toFixed(3)} ms for one use case`,
);

// What a request pays: a component's files rendered as the server renders them (stack templates, then
// the form), on the request's thread and on the render pool (one worker: the stack's data cloned over,
// the files cloned back, a turn of the worker's loop).
const pool = new ComputePool(new URL('../src/modules/catalog/render-task.ts', import.meta.url), { size: 1 });
const direct: number[] = [];
const pooled: number[] = [];
const renderRounds = Math.max(5, Math.floor(rounds / 5));
let worstDirect = 0;
let worstPooled = 0;
for (const fx of fixtures) {
  const { data } = await readStackDirectory(dirname(join(FIXTURES, fx.label)));
  for (const useCase of fx.useCases.keys()) {
    const request = { stack: data, context: FIXTURE_CONTEXT, useCase, vars: {} };
    const times = { direct: [] as number[], pooled: [] as number[] };
    for (let i = 0; i < renderRounds + 1; i++) {
      let started = performance.now();
      try {
        renderComponentDestinations(request);
      } catch {
        // Use cases whose form needs values fail the same way both ways: the time still counts.
      }
      const d = performance.now() - started;
      started = performance.now();
      await pool.run('stack.component-files', request).catch(() => undefined);
      const p = performance.now() - started;
      if (i === 0) continue; // warm-up (the worker's start, its caches)
      times.direct.push(d);
      times.pooled.push(p);
    }
    direct.push(median(times.direct));
    pooled.push(median(times.pooled));
    worstDirect = Math.max(worstDirect, median(times.direct));
    worstPooled = Math.max(worstPooled, median(times.pooled));
  }
}
await pool.close();
out(
  `component files of one use case (${direct.length} use cases x ${renderRounds} rounds): on the request's thread median ${median(direct).toFixed(3)} ms, worst ${worstDirect.toFixed(3)} ms; on the render pool median ${median(pooled).toFixed(3)} ms, worst ${worstPooled.toFixed(3)} ms (the event loop is free meanwhile)`,
);
