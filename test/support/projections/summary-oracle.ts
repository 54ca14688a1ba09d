// The brute-force oracle of the summaries: the rows `order_summaries` must hold and the
// reports built on them, recomputed from the raw events alone, as simply as possible.
import type { EventData } from '../../../src/events/catalog.js'
import type { ReadEvent } from '../../../src/events/envelope.js'
import { DateTime } from 'luxon'
import { ALL_SKUS, type SummaryCounters, type SummaryRow } from '../../../src/projections/summaries-projection.js'
import type { CurrencyFigures, Report, ReportBucket } from '../../../src/queries/report-queries.js'
import { QUARTER_HOUR_MS, monthOf } from '../../../src/shared/quarter-hours.js'
import { byId } from './harness.js'

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
  currency: string
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
        currency: order.currency,
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
  const touch = (fact: SummaryFact, bucket: number, sku: string, counters: SummaryCounters) => {
    const { currency, salesRep, position } = fact
    const id = `${bucket}|${currency}|${salesRep}|${sku}`
    const row = rows.get(id) ?? {
      _id: id,
      last_position: 0,
      bucket,
      currency,
      sales_rep: salesRep,
      sku,
      month: monthOf(bucket),
      ...zero(),
    }
    addInto(row, counters)
    row.last_position = Math.max(row.last_position, position)
    rows.set(id, row)
  }
  for (const fact of summaryFacts(events)) {
    const bucket = fact.createdAt - (fact.createdAt % QUARTER_HOUR_MS)
    touch(fact, bucket, ALL_SKUS, fact.order)
    for (const [sku, line] of fact.skus) touch(fact, bucket, sku, line)
  }
  return byId([...rows.values()])
}

type GroupBy = 'none' | 'sales_rep' | 'sku'
export type Granularity = 'hour' | 'day' | 'month'

/** A report bucket with its bounds as epoch ms and its group (rep, SKU or '') in one field. */
export type FlatBucket = SummaryCounters & {
  start: number
  end: number
  currency: string
  group: string
  net_amount: number
  average_order_value: number
}

const roundHalfUp = (total: number, count: number) =>
  count === 0 ? 0 : Number((2n * BigInt(total) + BigInt(count)) / (2n * BigInt(count)))

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const byStartCurrencyAndGroup = (a: FlatBucket, b: FlatBucket) =>
  a.start - b.start || compare(a.currency, b.currency) || compare(a.group, b.group)

export function flatten(report: Report): FlatBucket[] {
  return report.buckets
    .map((bucket: ReportBucket): FlatBucket => ({
      start: Date.parse(bucket.start),
      end: Date.parse(bucket.end),
      currency: bucket.currency,
      group: bucket.sales_rep ?? bucket.sku ?? '',
      ...countersOf(bucket),
      net_amount: bucket.net_amount,
      average_order_value: bucket.average_order_value,
    }))
    .sort(byStartCurrencyAndGroup)
}

/** What a report asks: `[from, to)` in epoch ms, the zone of its periods, and an optional currency. */
export interface OracleRange {
  from: number
  to: number
  zone: string
  currency?: string
}

/** The local period of `granularity` that `ms` falls in, in `zone` (DST included), as epoch ms. */
function periodOf(ms: number, granularity: Granularity, zone: string): { start: number; end: number } {
  const start = DateTime.fromMillis(ms, { zone }).startOf(granularity)
  return { start: start.toMillis(), end: start.plus({ [granularity]: 1 }).toMillis() }
}

/** Adds up items per (period, currency, group), clipped to the range, as a report of that granularity must show them. */
export function rollUp(
  items: readonly { at: number; currency: string; group: string; counters: SummaryCounters }[],
  granularity: Granularity,
  range: OracleRange,
): FlatBucket[] {
  const sums = new Map<string, { start: number; end: number; currency: string; group: string; counters: SummaryCounters }>()
  for (const item of items) {
    const { start, end } = periodOf(item.at, granularity, range.zone)
    const key = `${start}|${item.currency}|${item.group}`
    const entry = sums.get(key) ?? {
      start: Math.max(start, range.from),
      end: Math.min(end, range.to),
      currency: item.currency,
      group: item.group,
      counters: zero(),
    }
    addInto(entry.counters, item.counters)
    sums.set(key, entry)
  }
  return [...sums.values()]
    .map(({ start, end, currency, group, counters }) => ({
      start,
      end,
      currency,
      group,
      ...counters,
      net_amount: counters.total_amount - counters.cancelled_amount,
      average_order_value: roundHalfUp(counters.total_amount, counters.order_count),
    }))
    .sort(byStartCurrencyAndGroup)
}

/** The facts of the orders created in the range (and in its currency), whenever they were cancelled. */
const factsIn = (events: readonly ReadEvent[], range: OracleRange) =>
  summaryFacts(events).filter(
    (fact) =>
      fact.createdAt >= range.from &&
      fact.createdAt < range.to &&
      (range.currency === undefined || fact.currency === range.currency),
  )

/** A report recomputed from the raw events (order creations and cancellations) alone. */
export function bruteForceReport(
  events: readonly ReadEvent[],
  groupBy: GroupBy,
  granularity: Granularity,
  range: OracleRange,
): FlatBucket[] {
  const items = factsIn(events, range).flatMap((fact) => {
    const { createdAt: at, currency } = fact
    if (groupBy === 'sku') return [...fact.skus].map(([sku, counters]) => ({ at, currency, group: sku, counters }))
    return [{ at, currency, group: groupBy === 'sales_rep' ? fact.salesRep : '', counters: fact.order }]
  })
  return rollUp(items, granularity, range)
}

/** The report's totals recomputed from the raw events: per currency, order-level figures. */
export function bruteForceTotals(events: readonly ReadEvent[], range: OracleRange): CurrencyFigures[] {
  const sums = new Map<string, SummaryCounters>()
  for (const fact of factsIn(events, range)) {
    const counters = sums.get(fact.currency) ?? zero()
    addInto(counters, fact.order)
    sums.set(fact.currency, counters)
  }
  return [...sums]
    .sort(([a], [b]) => compare(a, b))
    .map(([currency, counters]) => ({
      currency,
      ...counters,
      net_amount: counters.total_amount - counters.cancelled_amount,
      average_order_value: roundHalfUp(counters.total_amount, counters.order_count),
    }))
}
