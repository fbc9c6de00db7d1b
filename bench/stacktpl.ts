// Renders every file of the fixture stacks (shared/fixtures/stacks) and prints the time per file.
// Run: node --import tsx bench/stacktpl.ts [rounds]

import { performance } from 'node:perf_hooks';
import { renderStackFile } from '../src/engines/stacktpl/index.js';
import { fixtureJobs } from '../test/engines/stacktpl-fixtures.js';

const rounds = Number(process.argv[2] ?? 20);
const jobs = fixtureJobs();
const byKind = new Map<string, { ms: number; count: number; bytes: number }>();

const renderAll = () => {
  for (const job of jobs) {
    const started = performance.now();
    renderStackFile(job.text, { version: job.version, context: job.context, name: job.label });
    const key = `${job.version >= 3 ? 'v3+' : 'v1-v2'} ${job.kind}`;
    const entry = byKind.get(key) ?? { ms: 0, count: 0, bytes: 0 };
    entry.ms += performance.now() - started;
    entry.count++;
    entry.bytes += job.text.length;
    byKind.set(key, entry);
  }
};

renderAll(); // warm-up
byKind.clear();
const started = performance.now();
for (let i = 0; i < rounds; i++) renderAll();
const total = performance.now() - started;

console.log(
  `stacktpl: ${jobs.length} files x ${rounds} rounds, ${(total / (jobs.length * rounds)).toFixed(3)} ms per file`,
);
for (const [key, e] of [...byKind].sort()) {
  console.log(
    `  ${key.padEnd(22)} ${String(e.count / rounds).padStart(4)} files  ${(e.ms / e.count).toFixed(3)} ms/file  ${Math.round(e.bytes / e.count)} chars/file`,
  );
}
