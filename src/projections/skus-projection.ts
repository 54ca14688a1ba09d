import type { SkuEvent } from '../events/catalog.js'
import { isSkuEvent } from '../events/envelope.js'
import { withChanges } from '../shared/objects.js'
import { documentProjection } from './document-projection.js'
import type { ReadModelCollection, ReadModelStore } from './read-model.js'
import { type SkuView, skuView } from './sku-view.js'

export type SkuReadModel = SkuView & { _id: string; last_position: number; created_position: number }

export const skusCollection = (readModels: ReadModelStore, generation: number): ReadModelCollection<SkuReadModel> =>
  readModels.collection<SkuReadModel>(`skus_v${generation}`, 'created_position')

/** The `skus` read model: the catalogue, one document per SKU. */
export const skusProjection = documentProjection<SkuEvent, SkuView, SkuReadModel>({
  name: 'skus',
  collection: skusCollection,
  indexes: [
    { name: 'newest_first', key: { created_position: -1 }, unique: true },
    { name: 'by_active', key: { active: 1, created_position: -1 } },
  ],
  accepts: isSkuEvent,
  idOf: (event) => event.data.sku,
  apply: skuView.evolve,
  toDocument: (view, base) => withChanges(view, base),
})
