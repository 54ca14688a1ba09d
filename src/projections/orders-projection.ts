import type { OrderEvent } from '../events/catalog.js'
import { isOrderEvent } from '../events/envelope.js'
import { quarterHourOf } from '../shared/quarter-hours.js'
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
  /** The UTC quarter-hour (epoch ms) of `created_at`: reports read the orders of a quarter-hour by equality. */
  created_bucket: number
  /** The customer's e-mail and name, lower-case: the `customer` filter matches a prefix of either. */
  customer_keys: string[]
}

/** The shape of the documents (see `ProjectionDefinition.shape`): 2 added `created_bucket` and `customer_keys`. */
const ORDERS_SHAPE = 2

/** What the `customer` filter matches a prefix of: the e-mail and the name, lower-case. */
export const customerKeys = (customer: { name: string; email?: string }): string[] =>
  [customer.email, customer.name].filter((key) => key !== undefined).map((key) => key.toLowerCase())

/** `ORD-00042` → 42. */
export const orderNumberOf = (orderId: string): number => Number(orderId.slice('ORD-'.length))

/** What an order's document adds to its view. */
const documentKeys = (view: OrderView, base: { _id: string; last_position: number; created_position: number }) => ({
  _id: base._id,
  last_position: base.last_position,
  created_position: base.created_position,
  number: orderNumberOf(view.order_id),
  skus: [...new Set(view.items.map((item) => item.sku))],
  created_bucket: quarterHourOf(Date.parse(view.created_at)),
  customer_keys: customerKeys(view.customer),
})

export const ordersCollection = (readModels: ReadModelStore, generation: number): ReadModelCollection<OrderReadModel> =>
  readModels.collection<OrderReadModel>(`orders_v${generation}`, 'number')

/** The `orders` read model (details, filtered lists), one document per order, and its list pages. */
export const ordersProjection = documentProjection<OrderEvent, OrderView, OrderReadModel>({
  name: 'orders',
  shape: ORDERS_SHAPE,
  collection: ordersCollection,
  indexes: [
    { name: 'newest_first', key: { number: -1 }, unique: true },
    { name: 'by_rep', key: { sales_rep: 1, number: -1 } },
    { name: 'by_status', key: { status: 1, number: -1 } },
    { name: 'by_sku', key: { skus: 1, number: -1 } },
    { name: 'by_created_at', key: { created_at: -1 } },
    { name: 'by_created_bucket', key: { created_bucket: 1 } },
    { name: 'by_customer', key: { customer_keys: 1, number: -1 } },
  ],
  accepts: isOrderEvent,
  idOf: (event) => event.data.order_id,
  apply: orderView.evolve,
  // Copied onto a literal of the document's own keys, not onto `{}`: with this many keys
  // Object.assign({}, …) turns the document into a V8 hash table (830 B more per order in
  // memory), and spreading into a literal is slow on Node 20. The view can be the previous
  // document (documents are evolved): its positions are replaced by `base`'s, and the keys
  // derived from the order (number, SKUs, creation bucket, customer) never change.
  toDocument: (view, base) => Object.assign(documentKeys(view, base), view, base),
  companion: orderPages,
})
