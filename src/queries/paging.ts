import type { Filter, ReadModelCollection } from '../projections/read-model.js'
import { decodeCursor, encodeCursor } from '../shared/cursor.js'

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

/**
 * One page, newest first by `created_position` (unique, fixed at creation): the cursor is
 * the last position of the previous page, so a page costs the same at any depth and a
 * document created while a client pages never appears twice.
 */
export async function newestFirst<T extends { _id: string; last_position: number; created_position: number }>(
  collection: ReadModelCollection<T>,
  filters: Filter[],
  page: { limit: number; cursor?: string },
): Promise<Page<T>> {
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, { p: 'number' }).p
  const found = await collection.list(filters, {
    sort: 'created_position',
    descending: true,
    limit: page.limit + 1,
    ...(after === undefined ? {} : { after }),
  })
  const items = found.slice(0, page.limit)
  const last = items.at(-1)
  return { items, next_cursor: found.length > page.limit && last ? encodeCursor({ p: last.created_position }) : null }
}
