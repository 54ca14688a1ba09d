import type { StoredEvent } from '../events/envelope.js'
import { type OrderDocument, applyOrderEvent } from './order-document.js'
import { withChanges } from '../shared/objects.js'
import { assertHeld } from './leases.js'
import type { ProjectionDefinition } from './projection.js'
import type { ReadModelCollection, ReadModelStore } from './read-model.js'

/** An order in the `orders` read model: the order document plus what list queries need. */
export type OrderReadModel = OrderDocument & {
  _id: string
  last_position: number
  /** Global position of `order.created`: the stable, unique "newest first" sort key and cursor. */
  created_position: number
  skus: string[]
}

export const ordersCollection = (readModels: ReadModelStore, generation: number): ReadModelCollection<OrderReadModel> =>
  readModels.collection<OrderReadModel>(`orders_v${generation}`, 'created_position')

/** The `orders` read model (list + detail), one document per order. */
export const ordersProjection: ProjectionDefinition = {
  name: 'orders',
  generation(readModels, generation) {
    const orders = ordersCollection(readModels, generation)
    return {
      ensureIndexes: () =>
        orders.ensureIndexes([
          { name: 'newest_first', key: { created_position: -1 }, unique: true },
          { name: 'by_rep', key: { sales_rep: 1, created_position: -1 } },
          { name: 'by_status', key: { status: 1, created_position: -1 } },
          { name: 'by_sku', key: { skus: 1, created_position: -1 } },
          { name: 'by_created_at', key: { created_at: -1 } },
        ]),
      async apply(events, lease) {
        // Several events of one order in a batch: read it once, write after each event.
        const seen = new Map<string, OrderReadModel | null>()
        for (const event of events) {
          if (!event.type.startsWith('order.')) continue
          assertHeld(lease)
          const id = orderIdOf(event)
          const current = seen.has(id) ? (seen.get(id) ?? null) : await orders.get(id)
          const next = applyOrderEvent(current, event)
          if (!next || next === current) continue
          const doc: OrderReadModel = withChanges(next, {
            _id: id,
            last_position: event.position,
            created_position: current?.created_position ?? event.position,
            skus: [...new Set(next.items.map((item) => item.sku))],
          })
          await orders.putGuarded(doc)
          seen.set(id, doc)
        }
      },
      drop: () => orders.drop(),
    }
  },
}

function orderIdOf(event: StoredEvent): string {
  return (event.data as { order_id: string }).order_id
}
