// Loads, validates and interpolates (with defaults) every fixture forms file and prints the time per
// file; the target is under 5 ms per forms file for validate + interpolate.
// Run: npm run bench:forms [rounds]

import { performance } from 'node:perf_hooks';
import { interpolate, loadFormsText, type Samples, validateForms } from '../src/engines/forms/index.js';
import { linearRegExp } from '../src/platform/text/linear-regexp.js';
import { FIXTURE_CONTEXT, type FormsFixture, formsFixtures } from '../test/engines/forms-fixtures.js';
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
