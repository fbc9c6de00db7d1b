import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../platform/errors.js';
import { actionProblem, MAX_RULES, resourceProblem, validateRules } from './rules.js';

describe('role rule validation', () => {
  it('accepts known codes and globs matching at least one code', () => {
    for (const action of [
      'organization:read',
      'organization:team:member:delete',
      'organization:**',
      'organization:credential:*',
      '**',
    ]) {
      assert.equal(actionProblem(action), undefined, action);
    }
    assert.match(actionProblem('organization:teem:read') ?? '', /not a known action/);
    assert.match(actionProblem('organization:teem:*') ?? '', /matches no known/);
    assert.match(actionProblem('team:create') ?? '', /not a known action/);
  });

  it('accepts resources of this organization shaped like entity paths', () => {
    for (const resource of [
      'organization:acme',
      'organization:acme:team',
      'organization:acme:team:ops',
      'organization:acme:credential:cy-*',
      'organization:acme:credential:*-staging',
      'organization:acme:project:shop:environment:prod',
      'organization:acme:project:shop:**',
      'organization:acme:**',
    ]) {
      assert.equal(resourceProblem(resource, 'acme'), undefined, resource);
    }
  });

  it('refuses other organizations and malformed paths, saying why', () => {
    const cases: Array<[string, RegExp]> = [
      ['organization:other:team:x', /must start with 'organization:acme'/],
      ['organization:acmecorp', /must start with/],
      ['organization', /must start with/],
      ['acme:team:x', /must start with/],
      ['organization:acme:team:', /invalid canonical ''/],
      ['organization:acme::x', /invalid entity word ''/],
      ['organization:acme:Team:x', /invalid entity word 'Team'/],
      ['organization:acme:team:A', /invalid canonical 'A'/],
      ['organization:acme:team:a b', /invalid canonical/],
      ['organization:acme:**:team', /'\*\*' only as its last segment/],
      [`organization:acme:team:${'x'.repeat(600)}`, /longer than/],
    ];
    for (const [resource, why] of cases) assert.match(resourceProblem(resource, 'acme') ?? '', why, resource);
  });

  it('reports every problem at once as a 422 and normalizes resources', () => {
    assert.deepEqual(
      validateRules(
        [
          { action: 'organization:team:read', effect: 'allow' },
          {
            action: 'organization:team:*',
            effect: 'allow',
            resources: ['organization:acme:team:a', 'organization:acme:team:a'],
          },
        ],
        'acme',
      ),
      [
        { action: 'organization:team:read', resources: [] },
        { action: 'organization:team:*', resources: ['organization:acme:team:a'] },
      ],
    );
    try {
      validateRules(
        [
          { action: 'organization:nope', effect: 'allow' },
          { action: 'organization:read', effect: 'deny', resources: ['organization:x'] },
        ],
        'acme',
      );
      assert.fail('expected a validation error');
    } catch (error) {
      assert.ok(error instanceof AppError);
      assert.equal(error.status, 422);
      assert.equal(error.details.length, 3);
      assert.match(error.details[0], /^rules\[0\]\.action/);
      assert.match(error.details[1], /^rules\[1\]\.effect/);
      assert.match(error.details[2], /^rules\[1\]\.resources\[0\]/);
    }
    const tooMany = Array.from({ length: MAX_RULES + 1 }, () => ({ action: 'organization:read', effect: 'allow' }));
    assert.throws(() => validateRules(tooMany, 'acme'), /at most/);
  });
});
