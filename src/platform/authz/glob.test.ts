import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globMatches } from './glob.js';

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
