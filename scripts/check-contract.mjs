#!/usr/bin/env node
// Contract check: openapi/openapi.json must have the same shape as the
// reference contract (Cycloid v6.1 wire format). Human text is ignored:
// string-valued `summary`/`description` keys, the root `info` object and
// `servers` arrays are stripped from both documents before comparing.
// Object key order is part of the comparison.
//
// openapi/extensions.json (routes of this server beyond the contract) is exempt
// from the comparison; it is checked instead for collisions with the contract
// (operationIds, method + path, schema names) and for its tag, by the same
// function the server runs at start (src/platform/http/extensions.ts).
//
// Usage: node scripts/check-contract.mjs
// Env:   GANTRY_REFERENCE_CONTRACT=/path/to/reference/openapi.json (optional)
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const oursPath = resolve(repoRoot, 'openapi/openapi.json');
const extensionsPath = resolve(repoRoot, 'openapi/extensions.json');
const refPath = process.env.GANTRY_REFERENCE_CONTRACT
  ? resolve(process.env.GANTRY_REFERENCE_CONTRACT)
  : resolve(repoRoot, '../shared/reference/api/openapi.json');

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const MAX_REPORTED = 20;

function load(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    console.error(`contract: cannot read ${path}: ${err.message}`);
    process.exit(1);
  }
}

// JSON pointer escaping (RFC 6901).
const esc = (k) => String(k).replace(/~/g, '~0').replace(/\//g, '~1');

// Remove human text. Only string-valued summary/description are dropped, so
// schema properties that happen to be named "description" (objects) are
// still compared. `info` is only dropped at the root (schemas have an
// `info` property too); `servers` is dropped wherever it is an array.
function strip(node, isRoot = false) {
  if (Array.isArray(node)) return node.map((v) => strip(v));
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if ((k === 'summary' || k === 'description') && typeof v === 'string') continue;
    if (k === 'servers' && Array.isArray(v)) continue;
    if (k === 'info' && isRoot) continue;
    out[k] = strip(v);
  }
  return out;
}

function kind(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function short(v) {
  const s = JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function diff(a, b, ptr, out) {
  if (out.length >= MAX_REPORTED) return;
  const ka = kind(a);
  const kb = kind(b);
  if (ka !== kb) {
    out.push(`${ptr || '/'}: type ${ka} (ours) vs ${kb} (reference)`);
    return;
  }
  if (ka === 'array') {
    if (a.length !== b.length) out.push(`${ptr || '/'}: array length ${a.length} (ours) vs ${b.length} (reference)`);
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n && out.length < MAX_REPORTED; i++) diff(a[i], b[i], `${ptr}/${i}`, out);
    return;
  }
  if (ka === 'object') {
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    const setA = new Set(keysA);
    const setB = new Set(keysB);
    for (const k of keysB)
      if (!setA.has(k) && out.length < MAX_REPORTED) out.push(`${ptr}/${esc(k)}: missing (present in reference)`);
    for (const k of keysA)
      if (!setB.has(k) && out.length < MAX_REPORTED) out.push(`${ptr}/${esc(k)}: extra (absent from reference)`);
    const common = keysA.filter((k) => setB.has(k));
    const commonB = keysB.filter((k) => setA.has(k));
    if (common.join('\u0000') !== commonB.join('\u0000') && out.length < MAX_REPORTED) {
      out.push(`${ptr || '/'}: key order differs from reference`);
    }
    for (const k of common) {
      if (out.length >= MAX_REPORTED) return;
      diff(a[k], b[k], `${ptr}/${esc(k)}`, out);
    }
    return;
  }
  if (!Object.is(a, b)) out.push(`${ptr || '/'}: ${short(a)} (ours) vs ${short(b)} (reference)`);
}

function operations(doc) {
  const ops = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      if (item && typeof item[method] === 'object' && item[method] !== null) {
        ops.push({ path, method, op: item[method] });
      }
    }
  }
  return ops;
}

const ours = load(oursPath);
let failed = false;

// 1. operationIds: present and unique.
const ops = operations(ours);
const byId = new Map();
for (const { path, method, op } of ops) {
  const where = `${method.toUpperCase()} ${path}`;
  if (typeof op.operationId !== 'string' || op.operationId === '') {
    console.error(`contract: ${where} has no operationId`);
    failed = true;
    continue;
  }
  if (byId.has(op.operationId)) {
    console.error(`contract: duplicate operationId ${op.operationId} (${byId.get(op.operationId)} and ${where})`);
    failed = true;
  } else {
    byId.set(op.operationId, where);
  }
}

// 2. Extensions: beside the contract, never over it.
if (existsSync(extensionsPath)) {
  const { tsImport } = await import('tsx/esm/api');
  const { extensionProblems, operationsOfDocument } = await tsImport(
    '../src/platform/http/extensions.ts',
    import.meta.url,
  );
  const extensions = load(extensionsPath);
  const problems = extensionProblems(ours, extensions);
  for (const problem of problems) console.error(`contract: openapi/extensions.json: ${problem}`);
  if (problems.length > 0) failed = true;
  else
    console.log(
      `contract: ${operationsOfDocument(extensions).length} extension operations, no collision with the contract`,
    );
}

// 3. Shape comparison with the reference, when available.
if (!existsSync(refPath)) {
  console.log(
    `contract: reference not found at ${refPath}; shape comparison skipped (${ops.length} operations checked for unique operationIds)`,
  );
  process.exit(failed ? 1 : 0);
}

const reference = load(refPath);
const differences = [];
diff(strip(ours, true), strip(reference, true), '', differences);

if (differences.length > 0) {
  const more = differences.length >= MAX_REPORTED ? ` (first ${MAX_REPORTED} shown)` : '';
  console.error(`contract: openapi/openapi.json differs from the reference${more}:`);
  for (const d of differences) console.error(`  ${d}`);
  failed = true;
}

if (failed) process.exit(1);
console.log(`contract: ${ops.length} operations, shapes identical to the reference`);
