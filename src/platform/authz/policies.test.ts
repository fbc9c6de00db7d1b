import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { POLICIES } from './policies.js';

describe('the policy catalog', () => {
  it('holds codes the contract can carry (Policy.code: 5-60 characters, snake_case words joined by colons)', () => {
    for (const { code } of POLICIES) {
      assert.ok(code.length >= 5 && code.length <= 60, `${code}: ${code.length} characters`);
      assert.match(code, /^(?:[a-z]+_)*[a-z]+(?::(?:[a-z]+_)*[a-z]+)*$/, code);
    }
  });

  it('lists every code once', () => {
    const codes = POLICIES.map((p) => p.code);
    assert.equal(new Set(codes).size, codes.length);
  });

  it('keeps the codes of the first catalog at their positions (ids are positions)', () => {
    assert.equal(POLICIES[0].code, 'organization:create');
    assert.equal(POLICIES[134].code, 'organization:log:read');
  });
});
