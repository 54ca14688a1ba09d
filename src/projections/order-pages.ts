import { assertHeld } from '../consumers/leases.js'
import type { Companion } from './document-projection.js'
import type { OrderReadModel } from './orders-projection.js'
import type { ReadModelCollection, ReadModelDocument, ReadModelStore } from './read-model.js'
import { writerCache } from './document-projection.js'

/** Orders per list page: pages are by order number, so page k holds ORD-(32k) … ORD-(32k + 31). */
export const ORDERS_PER_PAGE = 32

/**
 * A page of the order list, newest first, and the one `head` document saying where the
 * newest page is. A list of all orders reads the head and two or three pages — a handful of
 * lookups in a collection 32 times smaller than the orders, whatever their number. Kept only
 * on a store that cannot sort from an index (FerretDB decodes every order for a sorted query).
 */
export interface OrderPage extends ReadModelDocument {
  page: number
  /** The page's orders, highest number first. */
  orders: OrderReadModel[]
  /** On the head document: the highest order number stored. */
  max_number?: number
}

export const orderPagesCollection = (readModels: ReadModelStore, generation: number): ReadModelCollection<OrderPage> =>
  readModels.collection<OrderPage>(`order_pages_v${generation}`, 'page')

export const pageOfNumber = (number: number) => Math.floor(number / ORDERS_PER_PAGE)
const pageId = (page: number) => `p${page}`
const HEAD = 'head'

/**
 * Keeps the pages of one generation from each batch's changed orders (the orders projection's
 * companion) — only where the store cannot list the orders collection in order cheaply.
 */
export function orderPages(readModels: ReadModelStore, generation: number): Companion<OrderReadModel> | undefined {
  if (readModels.sortsFromIndex) return undefined
  const pages = orderPagesCollection(readModels, generation)
  const written = writerCache<OrderPage>(2000)
  return {
    ensureIndexes: () => pages.ensureIndexes([]),
    async write(changed, lease) {
      if (changed.length === 0) return
      const known = written.forLease(lease.token)
      if (!known.has(HEAD)) {
        const stored = await pages.get(HEAD)
        if (stored) known.set(HEAD, stored)
      }
      // Pages above the head's last page hold only orders created after the checkpoint (a crashed
      // batch may have written some without its head): they are rebuilt from the replayed events,
      // so they are not read — a new page costs no lookup, and a rebuild no lookup per page.
      const lastPage = pageOfNumber(known.get(HEAD)?.max_number ?? -ORDERS_PER_PAGE)
      const pageNumbers = [...new Set(changed.map((order) => pageOfNumber(order.number)))]
      const ids = [HEAD, ...pageNumbers.map(pageId)]
      const stored = new Set<string>()
      const toRead = pageNumbers.filter((page) => page <= lastPage).map(pageId)
      for (const page of await pages.getMany(toRead.filter((id) => !known.has(id)))) known.set(page._id, page)
      for (const id of ids) if (known.has(id)) stored.add(id)

      const next = new Map<string, OrderPage>()
      for (const order of changed) {
        const page = pageOfNumber(order.number)
        const id = pageId(page)
        const current = next.get(id) ?? known.get(id) ?? { _id: id, page, last_position: 0, orders: [] }
        next.set(id, withOrder(current, order))
      }
      const head = known.get(HEAD)
      const last = Math.max(...changed.map((order) => order.last_position))
      const maxNumber = Math.max(head?.max_number ?? 0, ...changed.map((order) => order.number))
      next.set(HEAD, {
        _id: HEAD,
        page: -1,
        orders: [],
        max_number: maxNumber,
        last_position: Math.max(last, head?.last_position ?? 0),
      })

      assertHeld(lease)
      await pages.putManyGuarded([...next.values()], (page) => !stored.has(page._id))
      for (const page of next.values()) known.set(page._id, page)
    },
    drop: () => pages.drop(),
  }
}

/** The page with `order` in it (or its newer state: a replayed, older one is ignored), highest number first. */
function withOrder(page: OrderPage, order: OrderReadModel): OrderPage {
  const existing = page.orders.find((o) => o._id === order._id)
  if (existing && existing.last_position >= order.last_position) return page
  const orders = [...page.orders.filter((o) => o._id !== order._id), order].sort((a, b) => b.number - a.number)
  return { _id: page._id, page: page.page, orders, last_position: Math.max(page.last_position, order.last_position) }
}

/**
 * Orders newest first (by number) from the pages, starting below `before` (exclusive), that
 * pass `keep`; stops once `limit` are found. Returns them and whether more may follow.
 */
export async function readOrderPages(
  pages: ReadModelCollection<OrderPage>,
  options: { before?: number; limit: number; keep: (order: OrderReadModel) => boolean },
): Promise<OrderReadModel[]> {
  const head = await pages.get(HEAD)
  if (!head?.max_number) return []
  const below = options.before ?? head.max_number + 1
  const found: OrderReadModel[] = []
  for (let page = pageOfNumber(below - 1); page >= 0 && found.length < options.limit; page--) {
    const stored = await pages.get(pageId(page))
    for (const order of stored?.orders ?? []) {
      if (order.number < below && options.keep(order)) found.push(order)
      if (found.length === options.limit) break
    }
  }
  return found
}
