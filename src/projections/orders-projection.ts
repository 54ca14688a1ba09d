import type { OrderEvent } from '../events/catalog.js'
import { isOrderEvent } from '../events/envelope.js'
import { withChanges } from '../shared/objects.js'
import { documentProjection } from './document-projection.js'
import { type OrderView, orderView } from './order-view.js'
import type { ReadModelCollection, ReadModelStore } from './read-model.js'

/** An order in the `orders` read model: the order view plus what list queries need. */
export type OrderReadModel = OrderView & {
  _id: string
  last_position: number
  /** Global position of `order.created`: the stable, unique "newest first" sort key and cursor. */
  created_position: number
  skus: string[]
}

export const ordersCollection = (readModels: ReadModelStore, generation: number): ReadModelCollection<OrderReadModel> =>
  readModels.collection<OrderReadModel>(`orders_v${generation}`, 'created_position')

/** The `orders` read model (list + detail), one document per order. */
export const ordersProjection = documentProjection<OrderEvent, OrderView, OrderReadModel>({
  name: 'orders',
  collection: ordersCollection,
  indexes: [
    { name: 'newest_first', key: { created_position: -1 }, unique: true },
    { name: 'by_rep', key: { sales_rep: 1, created_position: -1 } },
    { name: 'by_status', key: { status: 1, created_position: -1 } },
    { name: 'by_sku', key: { skus: 1, created_position: -1 } },
    { name: 'by_created_at', key: { created_at: -1 } },
  ],
  accepts: isOrderEvent,
  idOf: (event) => event.data.order_id,
  apply: orderView.evolve,
  toDocument: (view, base) => withChanges(view, { ...base, skus: [...new Set(view.items.map((item) => item.sku))] }),
})
