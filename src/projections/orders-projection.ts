import type { OrderEvent } from '../events/catalog.js'
import { isOrderEvent } from '../events/envelope.js'
import { withChanges } from '../shared/objects.js'
import { documentProjection } from './document-projection.js'
import { orderPages } from './order-pages.js'
import { type OrderView, orderView } from './order-view.js'
import type { ReadModelCollection, ReadModelStore } from './read-model.js'

/** An order in the `orders` read model: the order view plus what list queries need. */
export type OrderReadModel = OrderView & {
  _id: string
  last_position: number
  /** Global position of `order.created`. */
  created_position: number
  /** The order number (`ORD-00042` → 42): lists are newest first by it, and it is their cursor. */
  number: number
  skus: string[]
}

/** `ORD-00042` → 42. */
export const orderNumberOf = (orderId: string): number => Number(orderId.slice('ORD-'.length))

export const ordersCollection = (readModels: ReadModelStore, generation: number): ReadModelCollection<OrderReadModel> =>
  readModels.collection<OrderReadModel>(`orders_v${generation}`, 'number')

/** The `orders` read model (details, filtered lists), one document per order, and its list pages. */
export const ordersProjection = documentProjection<OrderEvent, OrderView, OrderReadModel>({
  name: 'orders',
  collection: ordersCollection,
  indexes: [
    { name: 'newest_first', key: { number: -1 }, unique: true },
    { name: 'by_rep', key: { sales_rep: 1, number: -1 } },
    { name: 'by_status', key: { status: 1, number: -1 } },
    { name: 'by_sku', key: { skus: 1, number: -1 } },
    { name: 'by_created_at', key: { created_at: -1 } },
  ],
  accepts: isOrderEvent,
  idOf: (event) => event.data.order_id,
  apply: orderView.evolve,
  toDocument: (view, base) =>
    withChanges(view, { ...base, number: orderNumberOf(view.order_id), skus: [...new Set(view.items.map((item) => item.sku))] }),
  companion: orderPages,
})
