import type { Filter, ReadModelCollection } from '../projections/read-model.js'
import type { SkuReadModel } from '../projections/skus-projection.js'
import { NotFoundError } from '../shared/errors.js'
import { type Page, newestFirst } from './paging.js'

export type SkuQueries = ReturnType<typeof createSkuQueries>

/** Reads of the catalogue, from the `skus` read model; newest first. */
export function createSkuQueries(deps: { skus: () => ReadModelCollection<SkuReadModel> }) {
  async function list(filter: { active?: boolean }, page: { limit: number; cursor?: string }): Promise<Page<SkuReadModel>> {
    const filters: Filter[] = filter.active === undefined ? [] : [{ active: filter.active }]
    return newestFirst(deps.skus(), 'created_position', filters, page)
  }

  async function get(sku: string): Promise<SkuReadModel> {
    const found = await deps.skus().get(sku)
    if (!found) throw new NotFoundError('SKU.NOT_FOUND', `No SKU ${sku}`)
    return found
  }

  return { list, get }
}
