import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUILTIN_ROLES } from '../../src/platform/authz/builtin-roles.js';
import { globMatches } from '../../src/platform/authz/glob.js';
import { addMember, createUser, sessionToken, tenant } from '../helpers/factories.js';
import { urlOf } from '../helpers/mutations.js';
import { startServer, type TestServer, testEngines } from '../helpers/server.js';
import { createResources } from './fixtures.js';
import { type Implemented, implementedOperations, isOrganizationScoped } from './operation-tables.js';
import { validationProblems, validRequest } from './requests.js';

/**
 * The role matrix. For every implemented organization operation and every built-in role, the expected
 * outcome is computed from the role's DEFINITION (its rule globs, matched with the server's glob
 * matcher) and the permission action the operation table declares: allowed (anything but 403) or
 * denied (exactly 403). A member holding the role then calls the operation, with a valid request
 * naming real resources owned by someone else, and the answer must match. Every implemented operation
 * is probed: the list comes from the operation tables, so none can be forgotten.
 */

type Outcome = 'allowed' | 'denied';

function expectedOutcome(role: (typeof BUILTIN_ROLES)[number], action: string | null): Outcome {
  if (action === null) return 'allowed';
  return role.rules.some((rule) => rule.resources.length === 0 && globMatches(rule.action, action))
    ? 'allowed'
    : 'denied';
}

/**
 * Hand-written spot checks of the derivation itself: if a role definition or a declared action drifts,
 * these name the consequence in plain words.
 */
const SPOT_CHECKS: Array<[role: string, operationId: string, outcome: Outcome]> = [
  ['organization-member', 'getCredential', 'denied'],
  ['organization-member', 'listCredentials', 'allowed'],
  ['organization-member', 'createExternalBackend', 'denied'],
  ['organization-member', 'updateExternalBackend', 'denied'],
  ['organization-member', 'deleteExternalBackend', 'denied'],
  ['organization-member', 'getExternalBackends', 'allowed'],
  ['organization-member', 'createAPIKey', 'denied'],
  ['organization-member', 'getTeams', 'allowed'],
  ['organization-member', 'deleteOrg', 'denied'],
  ['default-project-creator', 'getCredential', 'denied'],
  ['default-project-creator', 'createTeam', 'denied'],
  ['default-project-viewer', 'getOrg', 'allowed'],
  ['default-project-viewer', 'getTeam', 'denied'],
  ['default-project-viewer', 'getEvents', 'denied'],
  ['default-no-permissions', 'getOrg', 'denied'],
  ['default-no-permissions', 'canDo', 'allowed'],
  ['organization-admin', 'deleteOrg', 'allowed'],
  ['organization-admin', 'getCredential', 'allowed'],
  ['organization-member', 'getInfraPolicy', 'allowed'],
  ['organization-member', 'updateInfraPolicy', 'denied'],
  ['organization-member', 'validateProjectInfraPolicies', 'denied'],
  ['organization-admin', 'validateProjectInfraPolicies', 'allowed'],
];

// The admin goes last: its allowed deletions must not take the entity away from the roles tested after it.
const ROLES = [...BUILTIN_ROLES].sort(
  (x, y) => Number(x.canonical === 'organization-admin') - Number(y.canonical === 'organization-admin'),
);

for (const engine of testEngines()) {
  describe(`role matrix of the built-in roles (${engine})`, () => {
    let server: TestServer;
    let scoped: Implemented[];
    before(async () => {
      server = await startServer(engine);
      scoped = (await implementedOperations(server)).filter(({ op }) => isOrganizationScoped(op));
    });
    after(() => server.close());

    it('the spot checks agree with the expectations derived from the role definitions', () => {
      for (const [canonical, operationId, outcome] of SPOT_CHECKS) {
        const role = BUILTIN_ROLES.find((r) => r.canonical === canonical);
        const entry = scoped.find(({ op }) => op.operationId === operationId);
        assert.ok(role && entry, `${canonical} / ${operationId}`);
        assert.equal(
          expectedOutcome(role, entry.spec.permission?.action ?? null),
          outcome,
          `${canonical} ${operationId}`,
        );
      }
    });

    /** An organization with one of every resource (owned by its admin) and a member holding each role. */
    async function organization() {
      const admin = await tenant(server);
      const resources = await createResources(server, admin);
      const members = new Map<string, string>();
      for (const role of ROLES) {
        const user = await createUser(server);
        await addMember(server, admin.org, user, role.canonical);
        members.set(role.canonical, sessionToken(server, user));
      }
      return { canonical: admin.org.canonical, resources, members };
    }
    let shared: Awaited<ReturnType<typeof organization>> | undefined;

    it('every built-in role gets the derived outcome on every implemented organization operation', async (t) => {
      const probed = new Set<string>();
      const counts = { allowed: 0, denied: 0 };
      for (const { op, spec } of scoped) {
        await t.test(op.operationId, async () => {
          assert.ok(spec.permission, `${op.operationId} is organization-scoped but declares no permission`);
          // Deletions get an organization of their own, so the entities stay for the other probes.
          if (!shared && op.method !== 'DELETE') shared = await organization();
          const org = op.method === 'DELETE' || !shared ? await organization() : shared;
          const request = validRequest(op, org.canonical, org.resources.params, org.resources.hints);
          assert.deepEqual(
            validationProblems(op, spec, request),
            [],
            `${op.operationId}: the generated request is invalid`,
          );
          const wrong: string[] = [];
          for (const role of ROLES) {
            const expected = expectedOutcome(role, spec.permission?.action ?? null);
            const res = await server.request(op.method, urlOf(op, request), {
              token: org.members.get(role.canonical),
              body: request.body,
            });
            const actual: Outcome = res.status === 403 ? 'denied' : 'allowed';
            counts[expected]++;
            if (res.status >= 500 || res.status === 401 || actual !== expected) {
              wrong.push(`${role.canonical}: expected ${expected}, got ${res.status} ${res.text.slice(0, 200)}`);
            }
          }
          assert.deepEqual(wrong, [], `${op.operationId} (${spec.permission?.action ?? 'standing only'})`);
          probed.add(op.operationId);
        });
      }
      t.diagnostic(
        `${engine}: ${probed.size} operations x ${ROLES.length} roles: ${counts.allowed} allowed, ${counts.denied} denied`,
      );
      const unprobed = scoped.map(({ op }) => op.operationId).filter((id) => !probed.has(id));
      assert.deepEqual(unprobed, [], 'implemented organization operations no role probe covered');
      assert.ok(probed.size >= 50, `only ${probed.size} operations probed`);
    });
  });
}
