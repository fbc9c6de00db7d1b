import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkLogWindow,
  cloudWatchWindow,
  esPrefilterClauses,
  esQueryClause,
  luceneEscape,
  toEpochMillis,
} from '../../src/modules/logs/time-query.js';
import { AppError } from '../../src/platform/errors.js';

const B = 1_700_000_000_000;
const E = 1_700_000_360_000;

function assertUnprocessable(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.status, 422);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('time-query: Lucene queries', () => {
  it('appends the range after the parenthesized query', () => {
    assert.deepEqual(esQueryClause({ query: 'level:error OR panic', begin: B, end: E }, 'timestamp'), {
      query_string: { query: `(level:error OR panic) AND timestamp:[${B} TO ${E}]` },
    });
  });

  it('leaves the open end as *', () => {
    assert.deepEqual(esQueryClause({ query: 'x', begin: B }, '@timestamp'), {
      query_string: { query: `(x) AND @timestamp:[${B} TO *]` },
    });
    assert.deepEqual(esQueryClause({ query: 'x', end: E }, 'ts'), {
      query_string: { query: `(x) AND ts:[* TO ${E}]` },
    });
  });

  it('sends the query unchanged without a range', () => {
    assert.deepEqual(esQueryClause({ query: '  status:500 AND path:"/api"' }, 'ts'), {
      query_string: { query: '  status:500 AND path:"/api"' },
    });
  });

  it('escapes reserved characters of the timestamp field name', () => {
    assert.equal(luceneEscape('event.created'), 'event.created');
    assert.equal(luceneEscape('my:time (utc)'), 'my\\:time\\ \\(utc\\)');
    const clause = esQueryClause({ query: 'x', begin: 1, end: 2 }, 'a:b') as { query_string: { query: string } };
    assert.equal(clause.query_string.query, '(x) AND a\\:b:[1 TO 2]');
  });
});

describe('time-query: JSON queries', () => {
  const match = { match: { message: 'timeout' } };
  const range = (bounds: Record<string, unknown>) => ({ range: { ts: { ...bounds, format: 'epoch_millis' } } });

  it('puts the range inside a bool beside the clause', () => {
    assert.deepEqual(esQueryClause({ query: JSON.stringify(match), begin: B, end: E }, 'ts'), {
      bool: { must: [match], filter: [range({ gte: B, lte: E })] },
    });
  });

  it('unwraps the {"query": ...} form', () => {
    assert.deepEqual(esQueryClause({ query: ` {"query": ${JSON.stringify(match)}}`, end: E }, 'ts'), {
      bool: { must: [match], filter: [range({ lte: E })] },
    });
  });

  it('sends the clause unchanged without a range', () => {
    assert.deepEqual(esQueryClause({ query: JSON.stringify(match) }, 'ts'), match);
  });

  it('refuses JSON that does not parse, and JSON that is not a clause', () => {
    assertUnprocessable(() => esQueryClause({ query: '{"match": ', begin: B }, 'ts'), /not valid JSON/);
    assertUnprocessable(() => esQueryClause({ query: '{}' }, 'ts'), /query clause object/);
    assertUnprocessable(() => esQueryClause({ query: '{"query": 3}' }, 'ts'), /query clause object/);
  });
});

describe('time-query: windows', () => {
  it('is a range clause alone when there is no query', () => {
    assert.deepEqual(esQueryClause({ begin: B }, 'ts'), { range: { ts: { gte: B, format: 'epoch_millis' } } });
  });

  it('refuses neither range nor query (a blank query counts as none)', () => {
    assertUnprocessable(() => checkLogWindow({}), /time range .* or a query/);
    assertUnprocessable(() => esQueryClause({ query: '   ' }, 'ts'), /time range/);
    assertUnprocessable(() => cloudWatchWindow({}), /time range/);
  });

  it('refuses reversed and invalid bounds', () => {
    assertUnprocessable(() => checkLogWindow({ begin: E, end: B }), /begin must not be after end/);
    assertUnprocessable(() => checkLogWindow({ begin: -1 }), /begin must be a Unix time/);
    assertUnprocessable(() => checkLogWindow({ end: 1.5 }), /end must be a Unix time/);
  });

  it('gives CloudWatch the range as parameters and the pattern as written, braces included', () => {
    const pattern = '{ $.level = "error" }';
    assert.deepEqual(cloudWatchWindow({ query: pattern, begin: B, end: E }), {
      startTime: B,
      endTime: E,
      filterPattern: pattern,
    });
    assert.deepEqual(cloudWatchWindow({ begin: B }), { startTime: B, endTime: undefined, filterPattern: undefined });
  });
});

describe('time-query: prefilters', () => {
  it('turns field: value pairs into term and terms filters, clauses kept', () => {
    assert.deepEqual(esPrefilterClauses({ env: 'prod', code: 200, app: ['a', 'b'], exists: { field: 'trace' } }), [
      { term: { env: 'prod' } },
      { term: { code: 200 } },
      { terms: { app: ['a', 'b'] } },
      { exists: { field: 'trace' } },
    ]);
  });

  it('takes arrays of clauses as given, and JSON text of either form', () => {
    const clauses = [{ term: { env: 'prod' } }, { range: { code: { gte: 500 } } }];
    assert.deepEqual(esPrefilterClauses(clauses), clauses);
    assert.deepEqual(esPrefilterClauses(JSON.stringify(clauses)), clauses);
    assert.deepEqual(esPrefilterClauses('{"env": "prod"}'), [{ term: { env: 'prod' } }]);
    assert.deepEqual(esPrefilterClauses(undefined), []);
    assert.deepEqual(esPrefilterClauses(''), []);
  });

  it('refuses what it cannot read', () => {
    assertUnprocessable(() => esPrefilterClauses('{env: prod}'), /not valid JSON/);
    assertUnprocessable(() => esPrefilterClauses([{ term: { a: 1 } }, 'x']), /prefilter #2/);
    assertUnprocessable(() => esPrefilterClauses({ env: null }), /prefilter 'env'/);
    assertUnprocessable(() => esPrefilterClauses(42), /object or an array/);
  });
});

describe('time-query: document timestamps', () => {
  it('reads milliseconds, seconds and dates', () => {
    assert.equal(toEpochMillis(B), B);
    assert.equal(toEpochMillis(String(B)), B);
    assert.equal(toEpochMillis(1_700_000_000), B);
    assert.equal(toEpochMillis(1_700_000_000.25), B + 250);
    assert.equal(toEpochMillis('2023-11-14T22:13:20.000Z'), B);
    assert.equal(toEpochMillis('2023-11-14T23:13:20+01:00'), B);
  });

  it('reads zone-less dates as UTC, like Elasticsearch', () => {
    assert.equal(toEpochMillis('2023-11-14T22:13:20'), B);
    assert.equal(toEpochMillis('2023-11-14 22:13:20.5'), B + 500);
    assert.equal(toEpochMillis('2023-11-14'), Date.UTC(2023, 10, 14));
  });

  it('gives up on anything else', () => {
    for (const value of ['yesterday', '', null, undefined, {}, Number.NaN, true]) {
      assert.equal(toEpochMillis(value), undefined, String(value));
    }
  });
});
