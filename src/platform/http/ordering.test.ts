import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../errors.js';
import { parseOrderBy } from './ordering.js';

describe('parseOrderBy', () => {
  const sortable = { name: 'teams.name', created_at: 'teams.created_at' };

  it('parses fields and directions into columns', () => {
    assert.deepEqual(parseOrderBy('name:desc,created_at', sortable), [
      { column: 'teams.name', direction: 'desc' },
      { column: 'teams.created_at', direction: 'asc' },
    ]);
    assert.deepEqual(parseOrderBy(undefined, sortable), []);
  });

  it('refuses unknown fields, naming the allowed ones', () => {
    assert.throws(
      () => parseOrderBy('password:asc', sortable),
      (e: AppError) => {
        assert.equal(e.status, 400);
        assert.match(e.message, /cannot order by 'password'; allowed: name, created_at/);
        return true;
      },
    );
    assert.throws(() => parseOrderBy('constructor', sortable), AppError);
  });

  it('refuses bad directions', () => {
    assert.throws(() => parseOrderBy('name:up', sortable), /must look like/);
    assert.throws(() => parseOrderBy('name:asc:x', sortable), /must look like/);
  });
});
