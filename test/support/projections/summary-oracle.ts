// The brute-force oracle of the summaries: the rows `order_summaries` must hold and the
// reports built on them, recomputed from the raw events alone, as simply as possible.
import type { EventData } from '../../../src/events/catalog.js'
import type { ReadEvent } from '../../../src/events/envelope.js'
import { ALL_SKUS, BUCKET_MS, type SummaryCounters, type SummaryRow } from '../../../src/projections/summaries-projection.js'
import type { Report, ReportBucket } from '../../../src/queries/report-queries.js'
import { byId } from './harness.js'
import { DAY, HOUR, MINUTE } from './history.js'

const COUNTERS = [
  'order_count',
  'items_sold',
  'subtotal',
  'tax_amount',
  'total_amount',
  'cancelled_count',
  'cancelled_amount',
] as const satisfies readonly (keyof SummaryCounters)[]

export const zero = (): SummaryCounters => ({
  order_count: 0,
  items_sold: 0,
  subtotal: 0,
  tax_amount: 0,
  total_amount: 0,
  cancelled_count: 0,
  cancelled_amount: 0,
})

/** Per SKU of an order (each SKU once): its counters in that SKU's row. */
function skuLines(order: EventData<'order.created'>): Map<string, SummaryCounters> {
  const lines = new Map<string, SummaryCounters>()
  for (const item of order.items) {
    const line = lines.get(item.sku) ?? { ...zero(), order_count: 1 }
    line.items_sold += item.quantity
    line.subtotal += item.line_subtotal
    line.tax_amount += item.line_tax
    line.total_amount += item.line_total
    lines.set(item.sku, line)
  }
  return lines
}

/**
 * The facts the summaries are made of, straight from the events: one per order creation
 * (the order-level figures and each SKU's), and one per cancellation, carrying the time
 * and rep of the order's *creation*.
 */
interface SummaryFact {
  position: number
  createdAt: number
  salesRep: string
  order: SummaryCounters
  skus: Map<string, SummaryCounters>
}

function summaryFacts(events: readonly ReadEvent[]): SummaryFact[] {
  const creations = new Map<string, SummaryFact>()
  const facts: SummaryFact[] = []
  for (const event of events) {
    if (event.type === 'order.created') {
      const order = event.data
      const fact: SummaryFact = {
        position: event.position,
        createdAt: Date.parse(event.metadata.timestamp),
        salesRep: order.sales_rep,
        order: {
          ...zero(),
          order_count: 1,
          items_sold: order.items.reduce((sum, item) => sum + item.quantity, 0),
          subtotal: order.subtotal,
          tax_amount: order.tax_amount,
          total_amount: order.total_amount,
        },
        skus: skuLines(order),
      }
      creations.set(event.stream, fact)
      facts.push(fact)
    } else if (event.type === 'order.cancelled') {
      const creation = creations.get(event.stream)
      if (!creation) throw new Error(`cancellation of ${event.stream} before its creation`)
      const cancelled = (counters: SummaryCounters): SummaryCounters => ({
        ...zero(),
        cancelled_count: 1,
        cancelled_amount: counters.total_amount,
      })
      facts.push({
        ...creation,
        position: event.position,
        order: cancelled(creation.order),
        skus: new Map([...creation.skus].map(([sku, line]) => [sku, cancelled(line)])),
      })
    }
  }
  return facts
}

export const countersOf = (source: SummaryCounters): SummaryCounters => {
  const counters = zero()
  for (const counter of COUNTERS) counters[counter] = source[counter]
  return counters
}

const addInto = (target: SummaryCounters, counters: SummaryCounters) => {
  for (const counter of COUNTERS) target[counter] += counters[counter]
}

/** The rows `order_summaries` must hold for these events, recomputed from scratch. */
export function bruteForceRows(events: readonly ReadEvent[]): SummaryRow[] {
  const rows = new Map<string, SummaryRow>()
  const touch = (bucket: number, salesRep: string, sku: string, position: number, counters: SummaryCounters) => {
    const id = `${bucket}|${salesRep}|${sku}`
    const row = rows.get(id) ?? { _id: id, last_position: 0, bucket, sales_rep: salesRep, sku, ...zero() }
    addInto(row, counters)
    row.last_position = Math.max(row.last_position, position)
    rows.set(id, row)
  }
  for (const fact of summaryFacts(events)) {
    const bucket = fact.createdAt - (fact.createdAt % BUCKET_MS)
    touch(bucket, fact.salesRep, ALL_SKUS, fact.position, fact.order)
    for (const [sku, line] of fact.skus) touch(bucket, fact.salesRep, sku, fact.position, line)
  }
  return byId([...rows.values()])
}

type GroupBy = 'none' | 'sales_rep' | 'sku'
export type Granularity = 'hour' | 'day' | 'month'

/** A report bucket with its bounds as epoch ms and its group (rep, SKU or '') in one field. */
export type FlatBucket = SummaryCounters & {
  start: number
  end: number
  group: string
  net_amount: number
  average_order_value: number
}

const roundHalfUp = (total: number, count: number) =>
  count === 0 ? 0 : Number((2n * BigInt(total) + BigInt(count)) / (2n * BigInt(count)))

const byStartAndGroup = (a: FlatBucket, b: FlatBucket) =>
  a.start - b.start || (a.group < b.group ? -1 : a.group > b.group ? 1 : 0)

export function flatten(report: Report): FlatBucket[] {
  return report.buckets
    .map((bucket: ReportBucket): FlatBucket => ({
      start: Date.parse(bucket.start),
      end: Date.parse(bucket.end),
      group: bucket.sales_rep ?? bucket.sku ?? '',
      ...countersOf(bucket),
      net_amount: bucket.net_amount,
      average_order_value: bucket.average_order_value,
    }))
    .sort(byStartAndGroup)
}

/** Local period bounds in a zone of fixed offset (`offsetMin` east of UTC; no DST in the zones used). */
function periodOf(ms: number, granularity: Granularity, offsetMin: number): { start: number; end: number } {
  const offset = offsetMin * MINUTE
  const local = ms + offset
  if (granularity === 'month') {
    const date = new Date(local)
    return {
      start: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) - offset,
      end: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) - offset,
    }
  }
  const length = granularity === 'day' ? DAY : HOUR
  const start = local - (((local % length) + length) % length) - offset
  return { start, end: start + length }
}

/** Adds up buckets per (period, group), as a report of that granularity must show them. */
export function rollUp(
  items: readonly { at: number; group: string; counters: SummaryCounters }[],
  granularity: Granularity,
  offsetMin: number,
  to: number,
): FlatBucket[] {
  const sums = new Map<string, { start: number; end: number; group: string; counters: SummaryCounters }>()
  for (const item of items) {
    const { start, end } = periodOf(item.at, granularity, offsetMin)
    const key = `${start}|${item.group}`
    const entry = sums.get(key) ?? { start, end: Math.min(end, to), group: item.group, counters: zero() }
    addInto(entry.counters, item.counters)
    sums.set(key, entry)
  }
  return [...sums.values()]
    .map(({ start, end, group, counters }) => ({
      start,
      end,
      group,
      ...counters,
      net_amount: counters.total_amount - counters.cancelled_amount,
      average_order_value: roundHalfUp(counters.total_amount, counters.order_count),
    }))
    .sort(byStartAndGroup)
}

/** A report recomputed from the raw events (order creations and cancellations) alone. */
export function bruteForceReport(
  events: readonly ReadEvent[],
  groupBy: GroupBy,
  granularity: Granularity,
  offsetMin: number,
  to: number,
): FlatBucket[] {
  const items = summaryFacts(events).flatMap((fact) => {
    if (groupBy === 'sku') return [...fact.skus].map(([sku, counters]) => ({ at: fact.createdAt, group: sku, counters }))
    return [{ at: fact.createdAt, group: groupBy === 'sales_rep' ? fact.salesRep : '', counters: fact.order }]
  })
  return rollUp(items, granularity, offsetMin, to)
}
