/**
 * Keyset paging for list endpoints: rows ordered by id, after a cursor id, one row more than the
 * page so we know whether another page follows (its cursor is the last id shown).
 */
import { type SQL, gt } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

export interface PageArgs {
  readonly limit: number;
  readonly starting_after?: number | undefined;
}

export interface Page<T> {
  readonly items: T[];
  /** The id to pass as `starting_after` for the next page; null on the last page. */
  readonly next_cursor: number | null;
}

/** The `id > cursor` condition, or nothing on the first page. */
export function afterCursor(idColumn: PgColumn, page: PageArgs): SQL | undefined {
  return page.starting_after === undefined ? undefined : gt(idColumn, page.starting_after);
}

/** How many rows to fetch for a page: one more than it shows. */
export function fetchCount(page: PageArgs): number {
  return page.limit + 1;
}

export function toPage<T extends { id: number }>(fetched: T[], page: PageArgs): Page<T> {
  if (fetched.length <= page.limit) return { items: fetched, next_cursor: null };
  const items = fetched.slice(0, page.limit);
  return { items, next_cursor: items[items.length - 1]!.id };
}

export function mapPage<T, U>(page: Page<T>, fn: (row: T) => U): Page<U> {
  return { items: page.items.map(fn), next_cursor: page.next_cursor };
}
