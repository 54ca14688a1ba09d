import type { Filter, ReadModelCollection, ReadModelDocument } from '../projections/read-model.js'
import { decodeCursor, encodeCursor } from '../shared/cursor.js'

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

/** Where a page starts: the sort value of the last item of the previous page (exclusive), from an opaque cursor. */
export function cursorPosition(cursor: string | undefined): number | undefined {
  return cursor === undefined ? undefined : decodeCursor(cursor, { p: 'number' }).p
}

/** A page of `limit` from `found` (up to `limit + 1` items); the cursor is the last item's sort value. */
export function pageOf<T>(found: readonly T[], limit: number, sortValue: (item: T) => number): Page<T> {
  const items = found.slice(0, limit)
  const last = items.at(-1)
  return { items, next_cursor: found.length > limit && last ? encodeCursor({ p: sortValue(last) }) : null }
}

/**
 * One page, newest first by a unique numeric field fixed at creation: the cursor is that
 * field's value on the last item of the previous page, so a page costs the same at any depth
 * and a document created while a client pages never appears twice.
 */
export async function newestFirst<T extends ReadModelDocument>(
  collection: ReadModelCollection<T>,
  sort: keyof T & string,
  filters: Filter[],
  page: { limit: number; cursor?: string },
): Promise<Page<T>> {
  const after = cursorPosition(page.cursor)
  const found = await collection.list(filters, {
    sort,
    descending: true,
    limit: page.limit + 1,
    ...(after === undefined ? {} : { after }),
  })
  return pageOf(found, page.limit, (item) => item[sort] as number)
}
