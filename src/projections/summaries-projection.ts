import type { EventData } from '../events/catalog.js'
import type { EventStore } from '../events/event-store.js'
import { assertHeld } from '../consumers/leases.js'
import type { ProjectionDefinition } from './projection.js'
import { writerCache } from './document-projection.js'
import type { ReadModelCollection, ReadModelStore } from './read-model.js'
import { monthOf, quarterHourOf } from '../shared/quarter-hours.js'

/** The row of all SKUs of a (bucket, sales rep): order-level figures. */
export const ALL_SKUS = '*'

/** The figures every summary row and report bucket sums. */
export const SUMMARY_COUNTERS = [
  'order_count',
  'items_sold',
  'subtotal',
  'tax_amount',
  'total_amount',
  'cancelled_count',
  'cancelled_amount',
] as const
export type SummaryCounters = Record<(typeof SUMMARY_COUNTERS)[number], number>

export const zeroCounters = (): SummaryCounters =>
  Object.fromEntries(SUMMARY_COUNTERS.map((counter) => [counter, 0])) as SummaryCounters

/** What identifies a summary row: amounts of different currencies are never added together. */
export interface SummaryKey {
  /** Epoch ms of the UTC quarter-hour of the orders' creation. */
  bucket: number
  currency: string
  sales_rep: string
  /** A SKU, or `ALL_SKUS` for the order-level row. */
  sku: string
}

/**
 * One row per (quarter-hour of order creation, currency, sales rep, SKU), plus one per
 * (quarter-hour, currency, sales rep) with `sku: "*"` holding order-level figures (an order
 * with three SKUs counts once there, and once in each SKU's row). A cancellation counts
 * against the bucket of the order's creation. `month` (the UTC month of the bucket, see
 * `monthOf`) partitions the rows so that a report reads each month with an equality lookup.
 */
export type SummaryRow = SummaryCounters & SummaryKey & { _id: string; last_position: number; month: number }

/** The shape of the rows (see `ProjectionDefinition.shape`): 2 added `currency` and `month`. */
const SUMMARIES_SHAPE = 2

export const summariesCollection = (readModels: ReadModelStore, generation: number): ReadModelCollection<SummaryRow> =>
  readModels.collection<SummaryRow>(`order_summaries_v${generation}`, 'bucket')

/** The figures of an order that summaries are made of (a subset of `order.created`). */
export type OrderFigures = Pick<
  EventData<'order.created'>,
  'currency' | 'sales_rep' | 'subtotal' | 'tax_amount' | 'total_amount'
> & {
  items: readonly Pick<
    EventData<'order.created'>['items'][number],
    'sku' | 'quantity' | 'line_subtotal' | 'line_tax' | 'line_total'
  >[]
}

/** An order's creation: what it was and when (epoch ms), which is where its cancellation counts too. */
export interface OrderCreation {
  order: OrderFigures
  at: number
}

/** What one event adds to one summary row. */
export interface SummaryIncrement {
  id: string
  key: SummaryKey
  position: number
  inc: Partial<SummaryCounters>
}

const rowId = ({ bucket, currency, sales_rep, sku }: SummaryKey) => `${bucket}|${currency}|${sales_rep}|${sku}`

const increment = (key: SummaryKey, position: number, inc: Partial<SummaryCounters>): SummaryIncrement => ({
  id: rowId(key),
  key,
  position,
  inc,
})

/** The empty row an increment starts. */
export const emptyRow = ({ id, key }: SummaryIncrement): SummaryRow => ({
  _id: id,
  last_position: 0,
  ...key,
  month: monthOf(key.bucket),
  ...zeroCounters(),
})

const keyOf = ({ order, at }: OrderCreation, sku: string): SummaryKey => ({
  bucket: quarterHourOf(at),
  currency: order.currency,
  sales_rep: order.sales_rep,
  sku,
})

/**
 * The fold of the summaries, one event at a time: what an order's creation (at `position`)
 * adds to its rows. The projection and the reconcile job (which recomputes an hour from the
 * events) share it.
 */
export function creationIncrements(creation: OrderCreation, position: number): SummaryIncrement[] {
  const { order } = creation
  const itemsSold = order.items.reduce((sum, item) => sum + item.quantity, 0)
  return [
    increment(keyOf(creation, ALL_SKUS), position, {
      order_count: 1,
      items_sold: itemsSold,
      subtotal: order.subtotal,
      tax_amount: order.tax_amount,
      total_amount: order.total_amount,
    }),
    ...[...linesBySku(order)].map(([sku, line]) => increment(keyOf(creation, sku), position, { order_count: 1, ...line })),
  ]
}

/** What the cancellation (at `position`) of the order created as `creation` adds: in the bucket of its creation. */
export function cancellationIncrements(creation: OrderCreation, position: number): SummaryIncrement[] {
  const { order } = creation
  return [
    increment(keyOf(creation, ALL_SKUS), position, { cancelled_count: 1, cancelled_amount: order.total_amount }),
    ...[...linesBySku(order)].map(([sku, line]) =>
      increment(keyOf(creation, sku), position, { cancelled_count: 1, cancelled_amount: line.total_amount }),
    ),
  ]
}

/** The `order_summaries` read model: sums per quarter-hour × sales rep × SKU. */
export const summariesProjection: ProjectionDefinition = {
  name: 'summaries',
  shape: SUMMARIES_SHAPE,
  generation(readModels, generation, store) {
    const rows = summariesCollection(readModels, generation)
    const written = writerCache<SummaryRow>()

    return {
      ensureIndexes: () =>
        rows.ensureIndexes([
          { name: 'by_bucket', key: { bucket: 1 } },
          { name: 'by_month_bucket', key: { month: 1, bucket: 1 } },
        ]),
      // Every row the batch changes, read once (unless this writer has it), with each event's
      // counters added if the row has not seen it, then written once: one bulk write.
      async apply(events, lease) {
        const changes: SummaryIncrement[] = []
        for (const event of events) {
          if (event.type === 'order.created') {
            changes.push(...creationIncrements({ order: event.data, at: Date.parse(event.metadata.timestamp) }, event.position))
          } else if (event.type === 'order.cancelled') {
            const creation = await orderCreation(store, event.stream)
            if (creation) changes.push(...cancellationIncrements(creation, event.position))
          }
        }
        if (changes.length === 0) return
        assertHeld(lease)
        const known = written.forLease(lease.token)
        const missing = [...new Set(changes.map((change) => change.id))].filter((id) => !known.has(id))
        for (const row of await rows.getMany(missing)) known.set(row._id, row)
        const fresh = new Set(missing.filter((id) => !known.has(id)))
        const changed = new Map<string, SummaryRow>()
        for (const change of changes) {
          const { id, position, inc } = change
          const row = changed.get(id) ?? known.get(id) ?? emptyRow(change)
          if (position <= row.last_position) continue // a replayed event: already counted
          const next: SummaryRow = { ...row, last_position: position }
          for (const counter of SUMMARY_COUNTERS) next[counter] += inc[counter] ?? 0
          changed.set(id, next)
        }
        if (changed.size === 0) return
        assertHeld(lease)
        await rows.putManyGuarded([...changed.values()], (row) => fresh.has(row._id))
        for (const row of changed.values()) known.set(row._id, row)
      },
      forget: (ids) => {
        written.forget(ids)
      },
      drop: () => rows.drop(),
    }
  },
}

/** Per SKU of an order: quantity and line amounts (a SKU appears once per order, but sum to be safe). */
function linesBySku(
  order: OrderFigures,
): Map<string, { items_sold: number; subtotal: number; tax_amount: number; total_amount: number }> {
  const lines = new Map<string, { items_sold: number; subtotal: number; tax_amount: number; total_amount: number }>()
  for (const item of order.items) {
    const line = lines.get(item.sku) ?? { items_sold: 0, subtotal: 0, tax_amount: 0, total_amount: 0 }
    line.items_sold += item.quantity
    line.subtotal += item.line_subtotal
    line.tax_amount += item.line_tax
    line.total_amount += item.line_total
    lines.set(item.sku, line)
  }
  return lines
}

/** An order's creation, read from its stream (the source of truth); null if the stream does not start with one. */
export async function orderCreation(store: EventStore, stream: string): Promise<OrderCreation | null> {
  const [first] = await store.readStream(stream, { fromVersion: 1 })
  if (first?.type !== 'order.created') return null
  return { order: first.data, at: Date.parse(first.metadata.timestamp) }
}
