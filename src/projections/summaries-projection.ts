import type { EventData } from '../events/catalog.js'
import type { EventStore } from '../events/event-store.js'
import { assertHeld } from '../consumers/leases.js'
import type { ProjectionDefinition } from './projection.js'
import { writerCache } from './document-projection.js'
import type { ReadModelCollection, ReadModelStore } from './read-model.js'

/** Buckets are UTC quarter-hours, so every time zone's hours, days and months (even +05:45) are exact sums of them. */
export const BUCKET_MS = 15 * 60 * 1000

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

/**
 * One row per (quarter-hour of order creation, sales rep, SKU), plus one per (quarter-hour,
 * sales rep) with `sku: "*"` holding order-level figures (an order with three SKUs counts
 * once there, and once in each SKU's row). A cancellation counts against the bucket of the
 * order's creation.
 */
export type SummaryRow = SummaryCounters & { _id: string; last_position: number; bucket: number; sales_rep: string; sku: string }

export const summariesCollection = (readModels: ReadModelStore, generation: number): ReadModelCollection<SummaryRow> =>
  readModels.collection<SummaryRow>(`order_summaries_v${generation}`, 'bucket')

const bucketOf = (iso: string) => Math.floor(Date.parse(iso) / BUCKET_MS) * BUCKET_MS

type OrderCreated = EventData<'order.created'>

/** An order's creation: what it was and when, which is where its cancellation counts too. */
export interface OrderCreation {
  order: OrderCreated
  at: string
}

/** What one event adds to one summary row. */
export interface SummaryIncrement {
  id: string
  bucket: number
  salesRep: string
  sku: string
  position: number
  inc: Partial<SummaryCounters>
}

const increment = (
  bucket: number,
  salesRep: string,
  sku: string,
  position: number,
  inc: Partial<SummaryCounters>,
): SummaryIncrement => ({ id: `${bucket}|${salesRep}|${sku}`, bucket, salesRep, sku, position, inc })

/**
 * The fold of the summaries, one event at a time: what an order's creation (at `position`)
 * adds to its rows. The projection and the reconcile job (which recomputes an hour from the
 * events) share it.
 */
export function creationIncrements({ order, at }: OrderCreation, position: number): SummaryIncrement[] {
  const bucket = bucketOf(at)
  const itemsSold = order.items.reduce((sum, item) => sum + item.quantity, 0)
  return [
    increment(bucket, order.sales_rep, ALL_SKUS, position, {
      order_count: 1,
      items_sold: itemsSold,
      subtotal: order.subtotal,
      tax_amount: order.tax_amount,
      total_amount: order.total_amount,
    }),
    ...[...linesBySku(order)].map(([sku, line]) =>
      increment(bucket, order.sales_rep, sku, position, { order_count: 1, ...line }),
    ),
  ]
}

/** What the cancellation (at `position`) of the order created as `creation` adds: in the bucket of its creation. */
export function cancellationIncrements({ order, at }: OrderCreation, position: number): SummaryIncrement[] {
  const bucket = bucketOf(at)
  return [
    increment(bucket, order.sales_rep, ALL_SKUS, position, { cancelled_count: 1, cancelled_amount: order.total_amount }),
    ...[...linesBySku(order)].map(([sku, line]) =>
      increment(bucket, order.sales_rep, sku, position, { cancelled_count: 1, cancelled_amount: line.total_amount }),
    ),
  ]
}

/** The `order_summaries` read model: sums per quarter-hour × sales rep × SKU. */
export const summariesProjection: ProjectionDefinition = {
  name: 'summaries',
  generation(readModels, generation, store) {
    const rows = summariesCollection(readModels, generation)
    const written = writerCache<SummaryRow>()

    return {
      ensureIndexes: () =>
        rows.ensureIndexes([
          { name: 'by_bucket', key: { bucket: 1 } },
          { name: 'by_sku_bucket', key: { sku: 1, bucket: 1 } },
        ]),
      // Every row the batch changes, read once (unless this writer has it), with each event's
      // counters added if the row has not seen it, then written once: one bulk write.
      async apply(events, lease) {
        const changes: SummaryIncrement[] = []
        for (const event of events) {
          if (event.type === 'order.created') {
            changes.push(...creationIncrements({ order: event.data, at: event.metadata.timestamp }, event.position))
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
        for (const { id, bucket, salesRep, sku, position, inc } of changes) {
          const row = changed.get(id) ??
            known.get(id) ?? { _id: id, last_position: 0, bucket, sales_rep: salesRep, sku, ...zeroCounters() }
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
  order: OrderCreated,
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
  return { order: first.data, at: first.metadata.timestamp }
}
