import { withChanges } from '../shared/objects.js'
import { assertHeld } from './leases.js'
import type { ProjectionDefinition } from './projection.js'
import type { ReadModelCollection, ReadModelStore } from './read-model.js'
import { type SkuDocument, applySkuEvent } from './sku-document.js'

export type SkuReadModel = SkuDocument & { _id: string; last_position: number; created_position: number }

export const skusCollection = (readModels: ReadModelStore, generation: number): ReadModelCollection<SkuReadModel> =>
  readModels.collection<SkuReadModel>(`skus_v${generation}`, 'created_position')

/** The `skus` read model: the catalogue, one document per SKU. */
export const skusProjection: ProjectionDefinition = {
  name: 'skus',
  generation(readModels, generation) {
    const skus = skusCollection(readModels, generation)
    return {
      ensureIndexes: () =>
        skus.ensureIndexes([
          { name: 'newest_first', key: { created_position: -1 }, unique: true },
          { name: 'by_active', key: { active: 1, created_position: -1 } },
        ]),
      async apply(events, lease) {
        const seen = new Map<string, SkuReadModel | null>()
        for (const event of events) {
          if (!event.type.startsWith('sku.')) continue
          assertHeld(lease)
          const id = (event.data as { sku: string }).sku
          const current = seen.has(id) ? (seen.get(id) ?? null) : await skus.get(id)
          const next = applySkuEvent(current, event)
          if (!next || next === current) continue
          const doc: SkuReadModel = withChanges(next, {
            _id: id,
            last_position: event.position,
            created_position: current?.created_position ?? event.position,
          })
          await skus.putGuarded(doc)
          seen.set(id, doc)
        }
      },
      drop: () => skus.drop(),
    }
  },
}
