import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CANONICAL, canonicalFromName } from './canonical.js';

describe('canonicalFromName', () => {
  it('lowercases and dashes names', () => {
    assert.equal(canonicalFromName('My Great Team'), 'my-great-team');
    assert.equal(canonicalFromName('Équipe  Ops!'), 'equipe-ops');
    assert.equal(canonicalFromName('--Platform__'), 'platform');
  });

  it('always yields a valid canonical', () => {
    for (const name of ['a', 'é', '!!!', 'x'.repeat(300), 'Ops 1']) {
      assert.match(canonicalFromName(name), CANONICAL, name);
      assert.ok(canonicalFromName(name).length <= 105);
    }
  });
});
