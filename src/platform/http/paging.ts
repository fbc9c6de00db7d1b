import { type SelectQueryBuilder, sql } from 'kysely';
import { badRequest } from '../errors.js';

export const MAX_PAGE_SIZE = 1000;

export interface Paging {
  /** 1-based page number. */
  index: number;
  size: number;
  offset: number;
}

/** What a list handler returns: one page of items and the total across all pages. */
export class Page<T> {
  constructor(
    public readonly items: T[],
    public readonly total: number,
    public readonly paging: Paging,
  ) {}
}

/** An empty page, for lists narrowed to nothing (an `in ()` list is not valid SQL). */
export const emptyPage = <T>(paging: Paging): Page<T> => new Page<T>([], 0, paging);

export const mapPage = <T, U>(page: Page<T>, map: (item: T) => U): Page<U> =>
  new Page(page.items.map(map), page.total, page.paging);

/**
 * Folds the `page`/`per_page` aliases into `page_index`/`page_size` (mutating the query copy) so the
 * contract schema validates one spelling. Giving both spellings with different values is an error.
 */
export function foldPagingAliases(query: Record<string, unknown>): void {
  for (const [alias, name] of [
    ['page', 'page_index'],
    ['per_page', 'page_size'],
  ] as const) {
    if (query[alias] === undefined) continue;
    if (query[name] !== undefined && query[name] !== query[alias]) {
      throw badRequest(`query: '${alias}' and '${name}' disagree; send one of them`);
    }
    query[name] = query[alias];
    delete query[alias];
  }
}

export function pagingFrom(query: Record<string, unknown>): Paging {
  const index = typeof query.page_index === 'number' ? query.page_index : 1;
  const size = typeof query.page_size === 'number' ? query.page_size : MAX_PAGE_SIZE;
  return { index, size, offset: (index - 1) * size };
}

/** JSON-schema fragments added to every operation's query: paging is accepted everywhere. */
export const PAGING_QUERY_SCHEMAS = {
  page_index: { type: 'integer', minimum: 1, maximum: 1_000_000_000 },
  page_size: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE },
} as const;

/**
 * Runs one page of `query` and its total in SQL. The count wraps the filtered query, so filters and
 * joins are written once; ordering and limits apply only to the page itself.
 */
export async function fetchPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  paging: Paging,
): Promise<Page<O>> {
  const [items, countRow] = await Promise.all([
    query.limit(paging.size).offset(paging.offset).execute(),
    query.clearSelect().clearOrderBy().select(sql<number>`count(*)`.as('total')).executeTakeFirst() as Promise<
      { total: number | string } | undefined
    >,
  ]);
  return new Page(items, Number(countRow?.total ?? 0), paging);
}
