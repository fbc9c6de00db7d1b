import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Engine } from '../../src/platform/db/database.js';
import { tenant } from '../helpers/factories.js';
import { type Mutation, mutationsOf, serializeBody, urlOf } from '../helpers/mutations.js';
import type { Schema } from '../helpers/sample-body.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { createResources, type Resources } from './fixtures.js';
import { contract, type Implemented, implementedOperations, isOrganizationScoped } from './operation-tables.js';
import { validationProblems, validRequest } from './requests.js';

/**
 * The authenticated bad-input sweep. For every implemented operation, a fresh organization admin (with
 * one of every resource, so paths name real entities) sends mutated variants of a valid request: NUL
 * bytes, over-long strings, 100,000-item arrays, 10,000-deep JSON, wrong types, huge numbers, unknown
 * fields (test/helpers/mutations.ts). A mutation the contract refuses, or a hostile one, must get a
 * 4xx; none may get a 5xx; none may break the admin's own token (checked after each operation).
 *
 * KNOWN_* lists are the to-do: each entry is `operationId label`, or `engine operationId label` when
 * only one engine fails. They may only shrink: an entry that no longer fails makes the sweep fail.
 */

/** Mutations answered with a 5xx (a client's mistake turned into a server error). */
const KNOWN_5XX = new Set<string>([]);

/** Mutations that must be refused (4xx) but were carried out (2xx). */
const KNOWN_ACCEPTED = new Set<string>([]);

/** Operations whose accepted mutation could take the admin's rights away from the operations after them. */
const OWN_ORGANIZATION = new Set(['updateOrgMember', 'assignMemberToTeam', 'updateRole', 'updateTeam']);

/** Refused with a 4xx, but not in the error envelope (docs/api-conventions.md). */
const KNOWN_NO_ENVELOPE = new Set<string>([]);

interface Finding {
  key: string;
  status: number;
  request: string;
  answer: string;
  requestId: string;
}

/** Keeps the server's error log lines, to explain a 5xx by its request id. */
class ErrorLog extends Writable {
  readonly byRequest = new Map<string, string>();
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as {
          level?: number;
          reqId?: string;
          req?: { request_id?: string };
          err?: { message?: string; code?: string; type?: string };
          msg?: string;
        };
        const id = entry.req?.request_id ?? entry.reqId;
        if (id && (entry.level ?? 0) >= 50) {
          const err = entry.err;
          this.byRequest.set(id, [err?.type, err?.code, err?.message ?? entry.msg].filter(Boolean).join(' '));
        }
      } catch {}
    }
    done();
  }
}

function describeRequest(op: Implemented['op'], m: Mutation): string {
  const url = urlOf(op, m.request);
  const body = m.request.body === undefined ? '' : ` ${serializeBody(m.request.body)}`;
  const text = `${op.method} ${url}${body}`;
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} characters)` : text;
}

/** Which of the implemented operations (sorted by operationId) one test file sweeps: every `count`-th from `index`. */
export interface Shard {
  index: number;
  count: number;
}

/** Declares the sweep on one engine (a test file per engine and shard keeps each file well under the runner's timeout). */
export function badInputSweep(engine: Engine, shard: Shard = { index: 0, count: 1 }): void {
  const part = shard.count > 1 ? `, part ${shard.index + 1} of ${shard.count}` : '';
  describe(`authenticated bad-input sweep (${engine}${part})`, () => {
    let server: TestServer;
    let implemented: Implemented[];
    const errorLog = new ErrorLog();
    const fiveXX: Finding[] = [];
    const accepted: Finding[] = [];
    const bare: Finding[] = [];
    const matched = new Set<string>();
    let exercised = 0;
    let sent = 0;
    let shared: { admin: Awaited<ReturnType<typeof tenant>>; resources: Resources } | undefined;

    before(async () => {
      server = await startServer(engine, { logDestination: errorLog });
      const all = await implementedOperations(server);
      assert.ok(all.length > 50, `only ${all.length} implemented operations found`);
      implemented = all.filter((_, i) => i % shard.count === shard.index);
    });
    after(() => server.close());

    const allowed = (list: Set<string>, key: string) => {
      for (const candidate of [`${engine} ${key}`, key]) {
        if (list.has(candidate)) {
          matched.add(candidate);
          return true;
        }
      }
      return false;
    };

    it('every implemented operation refuses mutated input with a 4xx, never a 5xx', async (t) => {
      for (const { op, spec } of implemented) {
        await t.test(op.operationId, async () => {
          // Deletions and membership changes get an organization of their own; the rest share one.
          const scoped = isOrganizationScoped(op);
          const own = !scoped || op.method === 'DELETE' || OWN_ORGANIZATION.has(op.operationId);
          if (!own && !shared) {
            const admin = await tenant(server);
            shared = { admin, resources: await createResources(server, admin) };
          }
          const admin = own || !shared ? await tenant(server) : shared.admin;
          const resources = !scoped
            ? undefined
            : own || !shared
              ? await createResources(server, admin)
              : shared.resources;
          const hints: Record<string, unknown> = {
            username: admin.user.username,
            owner: admin.user.username,
            ...resources?.hints,
          };
          const valid = validRequest(op, admin.org.canonical, resources?.params ?? {}, hints);
          assert.deepEqual(
            validationProblems(op, spec, valid),
            [],
            `${op.operationId}: the generated request is invalid, so its mutations prove nothing`,
          );
          const mutations = mutationsOf(op, valid, contract.schemas, (spec.extraQuery ?? {}) as Record<string, Schema>);
          const problems: string[] = [];
          for (const m of mutations) {
            const body = m.request.body === undefined ? undefined : serializeBody(m.request.body);
            const res = await server.request(op.method, urlOf(op, m.request), {
              token: admin.token,
              ...(body === undefined ? {} : { raw: body, headers: { 'content-type': 'application/json' } }),
            });
            sent++;
            const key = `${op.operationId} ${m.label}`;
            const finding = (): Finding => ({
              key,
              status: res.status,
              request: describeRequest(op, m),
              answer: res.text.slice(0, 300),
              requestId: res.headers.get('x-request-id') ?? '',
            });
            if (res.status >= 500) {
              fiveXX.push(finding());
              if (!allowed(KNOWN_5XX, key)) problems.push(`5xx: ${JSON.stringify(finding())}`);
            } else if (res.status >= 400 && typeof res.body?.errors?.[0]?.code !== 'string') {
              bare.push(finding());
              if (!allowed(KNOWN_NO_ENVELOPE, key)) {
                problems.push(`${res.status} without an error envelope: ${JSON.stringify(finding())}`);
              }
            } else if (m.expect === '4xx' && res.status < 400) {
              accepted.push(finding());
              if (!allowed(KNOWN_ACCEPTED, key)) problems.push(`accepted: ${JSON.stringify(finding())}`);
            }
          }
          // A 401 above may be the operation's own answer (a wrong password): the admin's token must still work.
          const control = await server.request('GET', '/user', { token: admin.token });
          assert.equal(control.status, 200, `${op.operationId}: the admin's token stopped working: ${control.text}`);
          exercised++;
          assert.deepEqual(problems, [], `${op.operationId}: ${problems.length} of ${mutations.length} mutations`);
        });
      }
      t.diagnostic(`${engine}: ${exercised} of ${implemented.length} implemented operations, ${sent} requests`);
      t.diagnostic(
        `${engine}: ${fiveXX.length} answered 5xx, ${accepted.length} wrongly accepted, ${bare.length} without the error envelope`,
      );
      if (process.env.GANTRY_SWEEP_REPORT) {
        // The server's log is buffered: read the causes now.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        for (const f of [...fiveXX, ...accepted, ...bare]) {
          t.diagnostic(JSON.stringify({ engine, ...f, log: errorLog.byRequest.get(f.requestId) }));
        }
      }
      assert.equal(exercised, implemented.length);
    });

    it('the allow-lists hold only what still fails on this engine', () => {
      const ops = new Set(implemented.map(({ op }) => op.operationId));
      const applies = (entry: string) => {
        const words = entry.split(' ');
        const engineOnly = /^(sqlite|postgres)$/.test(words[0]!);
        return (!engineOnly || words[0] === engine) && ops.has(words[engineOnly ? 1 : 0]!);
      };
      const stale = [...KNOWN_5XX, ...KNOWN_ACCEPTED, ...KNOWN_NO_ENVELOPE].filter(
        (e) => applies(e) && !matched.has(e),
      );
      assert.deepEqual(stale, [], 'fixed: remove these entries from the allow-lists');
    });
  });
}
