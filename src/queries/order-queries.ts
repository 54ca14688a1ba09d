import { type AppAbility, accessFilter, inState } from '../auth/abilities.js'
import { ForbiddenError } from '../auth/errors.js'
import { aggregateStream } from '../events/aggregate-stream.js'
import type { OrderStatus } from '../events/catalog.js'
import type { EventStore } from '../events/event-store.js'
import { type OrderView, orderView } from '../projections/order-view.js'
import { type OrderPage, readOrderPages } from '../projections/order-pages.js'
import { type OrderReadModel, customerKeys } from '../projections/orders-projection.js'
import type { Filter, ReadModelCollection } from '../projections/read-model.js'
import { NotFoundError } from '../shared/errors.js'
import { type Page, cursorPosition, newestFirst, pageOf } from './paging.js'
import { orderStream } from '../events/streams.js'

export interface OrderListFilter {
  status?: OrderStatus
  sales_rep?: string
  sku?: string
  /** A prefix of the customer's e-mail or name, any case. */
  customer?: string
  /** ISO times: orders created at or after `from`, before `to`. */
  from?: string
  to?: string
}

export interface HistoryEntry {
  type: string
  version: number
  position: number
  timestamp: string
  actor: string
  data: unknown
}

export type OrderQueries = ReturnType<typeof createOrderQueries>

const notFound = (id: string) => new NotFoundError('ORDER.NOT_FOUND', `No order ${id}`)

/**
 * Reads of orders: lists and details from the `orders` read model, the state at a past
 * time and the history from the event store. What a caller may see is decided by its
 * CASL abilities, whose conditions become part of the query (a sales rep's list is
 * filtered to its own orders by the database, not afterwards).
 */
export function createOrderQueries(deps: {
  orders: () => ReadModelCollection<OrderReadModel>
  /** The list pages, where the store keeps them (`orderPages`). */
  pages?: () => ReadModelCollection<OrderPage>
  store: EventStore
}) {
  /**
   * Newest first by order number, from the orders collection — except, where the store keeps
   * list pages, a list not narrowed by an equality (a sales rep's own orders, a status, a
   * SKU): that one walks the pages, keeping what falls in the time range.
   */
  async function list(
    ability: AppAbility,
    filter: OrderListFilter,
    page: { limit: number; cursor?: string },
  ): Promise<Page<OrderReadModel>> {
    const access = accessFilter(ability, 'read', 'Order')
    if (access === null) throw new ForbiddenError('Your role may not read orders')
    const equalities: Filter[] = [access, ...equalitiesOf(filter)].filter((f) => Object.keys(f).length > 0)
    const customer = filter.customer?.toLowerCase()
    const keep = (order: OrderReadModel) =>
      (filter.from === undefined || order.created_at >= filter.from) &&
      (filter.to === undefined || order.created_at < filter.to) &&
      (customer === undefined || customerKeys(order.customer).some((key) => key.startsWith(customer)))
    if (equalities.length > 0 || !deps.pages) {
      const range = filter.from === undefined && filter.to === undefined ? [] : [{ created_at: rangeOf(filter) }]
      // An anchored, case-sensitive pattern on the lower-case keys: an index range on MongoDB.
      const customerPrefix = customer === undefined ? [] : [{ customer_keys: { $regex: `^${escapeRegExp(customer)}` } }]
      return newestFirst(deps.orders(), 'number', [...equalities, ...range, ...customerPrefix], page)
    }
    const before = cursorPosition(page.cursor)
    const found = await readOrderPages(deps.pages(), {
      ...(before === undefined ? {} : { before }),
      limit: page.limit + 1,
      keep,
    })
    return pageOf(found, page.limit, (order) => order.number)
  }

  async function get(ability: AppAbility, id: string): Promise<OrderReadModel> {
    const order = await deps.orders().get(id)
    if (!order || !ability.can('read', inState('Order', order))) throw notFound(id)
    return order
  }

  /** The order as it was at `at`, folded from its events up to then; 404 if it did not exist yet. */
  async function asOf(ability: AppAbility, id: string, at: Date): Promise<OrderView> {
    const { state: order } = await aggregateStream(deps.store, orderStream(id), orderView, { until: at })
    if (!order || !ability.can('read', inState('Order', order))) throw notFound(id)
    return order
  }

  /** The order's events, oldest first. */
  async function history(ability: AppAbility, id: string): Promise<HistoryEntry[]> {
    const { state: order, events } = await aggregateStream(deps.store, orderStream(id), orderView)
    if (!order || !ability.can('read', inState('Order', order))) throw notFound(id)
    if (!ability.can('read', inState('OrderHistory', order))) throw new ForbiddenError('Your role may not read order histories')
    return events.map((e) => ({
      type: e.type,
      version: e.version,
      position: e.position,
      timestamp: e.metadata.timestamp,
      actor: e.metadata.actor,
      data: e.data,
    }))
  }

  return { list, get, asOf, history }
}

function equalitiesOf(filter: OrderListFilter): Filter[] {
  return [
    ...(filter.status ? [{ status: filter.status }] : []),
    ...(filter.sales_rep ? [{ sales_rep: filter.sales_rep.toLowerCase() }] : []),
    ...(filter.sku ? [{ skus: filter.sku }] : []),
  ]
}

function rangeOf(filter: OrderListFilter): Record<string, string> {
  return { ...(filter.from === undefined ? {} : { $gte: filter.from }), ...(filter.to === undefined ? {} : { $lt: filter.to }) }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
