import type { SkuReadModel } from '../projections/skus-projection.js'
import type { Filter, ReadModelCollection } from '../projections/read-model.js'
import { decodeCursor, encodeCursor } from '../shared/cursor.js'
import { NotFoundError } from '../shared/errors.js'
import type { Page } from './order-queries.js'

export type SkuQueries = ReturnType<typeof createSkuQueries>

/** Reads of the catalogue, from the `skus` read model; newest first. */
export function createSkuQueries(deps: { skus: () => ReadModelCollection<SkuReadModel> }) {
  async function list(filter: { active?: boolean }, page: { limit: number; cursor?: string }): Promise<Page<SkuReadModel>> {
    const filters: Filter[] = filter.active === undefined ? [] : [{ active: filter.active }]
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, { p: 'number' }).p
    const found = await deps.skus().list(filters, {
      sort: 'created_position',
      descending: true,
      limit: page.limit + 1,
      ...(after === undefined ? {} : { after }),
    })
    const items = found.slice(0, page.limit)
    const last = items.at(-1)
    return { items, next_cursor: found.length > page.limit && last ? encodeCursor({ p: last.created_position }) : null }
  }

  async function get(sku: string): Promise<SkuReadModel> {
    const found = await deps.skus().get(sku)
    if (!found) throw new NotFoundError('SKU.NOT_FOUND', `No SKU ${sku}`)
    return found
  }

  return { list, get }
}
