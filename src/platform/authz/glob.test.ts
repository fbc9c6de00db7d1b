import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globMatches, globProblem } from './glob.js';

describe('colon-path globs', () => {
  const cases: Array<[string, string, boolean]> = [
    ['organization:team:read', 'organization:team:read', true],
    ['organization:team:read', 'organization:team:update', false],
    ['organization:team:*', 'organization:team:read', true],
    ['organization:team:*', 'organization:team:member:read', false],
    ['organization:**', 'organization:team:member:read', true],
    ['organization:**', 'organization:read', true],
    ['organization:**', 'organization', true],
    ['organization:**', 'other:read', false],
    ['organization:project:**', 'organization:project:environment:read', true],
    ['organization:project:**', 'organization:projects:read', false],
    ['organization:**:read', 'organization:team:read', true],
    ['organization:**:read', 'organization:project:environment:read', true],
    ['organization:**:read', 'organization:read', true],
    ['organization:**:read', 'organization:team:update', false],
    ['organization:acme:credential:cy-*', 'organization:acme:credential:cy-prod', true],
    ['organization:acme:credential:cy-*', 'organization:acme:credential:prod', false],
    ['organization:acme:credential:*-staging', 'organization:acme:credential:db-staging', true],
    ['organization:a.b:team:x', 'organization:aXb:team:x', false],
    ['**', 'anything:at:all', true],
  ];
  for (const [pattern, value, expected] of cases) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${value}`, () => {
      assert.equal(globMatches(pattern, value), expected);
    });
  }
});

describe('colon-path globs against hostile patterns', () => {
  const budgetMs = 100;
  const timed = (pattern: string, value: string) => {
    const start = performance.now();
    const result = globMatches(pattern, value);
    return { result, ms: performance.now() - start };
  };

  it('25 wildcards inside one segment do not backtrack', () => {
    const pattern = `organization:o:team:${'*a'.repeat(25)}*b`;
    const { result, ms } = timed(pattern, `organization:o:team:${'a'.repeat(10_000)}`);
    assert.equal(result, false);
    assert.ok(ms < budgetMs, `took ${ms.toFixed(1)} ms`);
  });

  it('many ** segments over a long path do not backtrack', () => {
    const pattern = `${'**:a:'.repeat(12)}b`;
    const value = Array.from({ length: 2_000 }, () => 'a').join(':');
    const { result, ms } = timed(pattern, value);
    assert.equal(result, false);
    assert.ok(ms < budgetMs, `took ${ms.toFixed(1)} ms`);
  });

  it('still matches when the hostile pattern fits', () => {
    assert.equal(globMatches(`x:${'*a'.repeat(25)}*b`, `x:${'a'.repeat(30)}b`), true);
    assert.equal(globMatches('a:**:b:**:c', 'a:x:b:y:z:c'), true);
    assert.equal(globMatches('a:**:b:**:c', 'a:x:c:y:b'), false);
    assert.equal(globMatches('a*b*c', 'abbc'), true);
    assert.equal(globMatches('a*b*c', 'acb'), false);
    assert.equal(globMatches('a*a', 'a'), false);
    assert.equal(globMatches('*:*', 'a:b'), true);
    assert.equal(globMatches('*:*', 'a:b:c'), false);
  });

  it('globProblem bounds length and wildcards', () => {
    assert.equal(globProblem('organization:o:team:*'), undefined);
    assert.match(globProblem(`organization:o:team:${'*a'.repeat(17)}`) ?? '', /more than 16 '\*'/);
    assert.match(globProblem(`organization:o:team:${'a'.repeat(600)}`) ?? '', /longer than 500/);
  });
});
