import { type DateTime, IANAZone } from 'luxon'
import type { OrderReadModel } from '../projections/orders-projection.js'
import type { ReadModelCollection } from '../projections/read-model.js'
import {
  ALL_SKUS,
  SUMMARY_COUNTERS,
  type SummaryCounters,
  type SummaryKey,
  type SummaryRow,
  cancellationIncrements,
  creationIncrements,
  zeroCounters,
} from '../projections/summaries-projection.js'
import { ValidationError } from '../shared/errors.js'
import { parseRange } from '../shared/instant.js'
import { QUARTER_HOUR_MS, monthOf, quarterHourOf } from '../shared/quarter-hours.js'
import { type Granularity, zonePeriods } from './zone-periods.js'

export type { Granularity }
export type GroupBy = 'none' | 'sales_rep' | 'sku'

export interface ReportRequest {
  /** Any instant the API accepts (inclusive); dates and offset-less times are read in `tz`. */
  from: string
  /** Exclusive. */
  to: string
  granularity: Granularity
  group_by: GroupBy
  /** IANA time zone for day/month/hour boundaries and for dates without an offset (default UTC). */
  tz?: string
  /** Only orders in this currency. */
  currency?: string
}

/** Figures of one currency: `net_amount` = total − cancelled; `average_order_value` = total / orders, rounded half up. */
export type CurrencyFigures = SummaryCounters & { currency: string; net_amount: number; average_order_value: number }

export type ReportBucket = CurrencyFigures & { start: string; end: string; sales_rep?: string; sku?: string }

export interface Report {
  from: string
  to: string
  granularity: Granularity
  group_by: GroupBy
  tz: string
  currency?: string
  /** Per period, currency (and group): amounts of different currencies are never added together. */
  buckets: ReportBucket[]
  /** The whole range, one entry per currency (order-level figures, whatever the grouping). */
  totals: CurrencyFigures[]
}

const DAY_MS = 86_400_000
const MAX_RANGE_DAYS: Record<Granularity, number> = { hour: 366, day: 3660, month: 36_600 }
const ALL = { sort: 'bucket', descending: false, limit: Number.MAX_SAFE_INTEGER } as const

export type ReportQueries = ReturnType<typeof createReportQueries>

/** A sum the report adds up: a summary row, or what one order at an edge of the range adds. */
type Part = SummaryKey & Partial<SummaryCounters>

/**
 * Revenue summaries, exact for any `[from, to)`: the whole UTC quarter-hours inside the range
 * come from the rows of `order_summaries` (each falls in exactly one local hour, day or month
 * of any IANA zone, whose offsets are multiples of 15 minutes), read one UTC month at a time
 * by equality on `month`; the partial quarter-hours at the edges come from the orders created
 * in them, read from the `orders` read model by equality on `created_bucket` and counted
 * exactly as the summaries count them. Buckets without orders are left out.
 */
export function createReportQueries(deps: {
  summaries: () => ReadModelCollection<SummaryRow>
  orders: () => ReadModelCollection<OrderReadModel>
}) {
  async function summaries(request: ReportRequest): Promise<Report> {
    const { zone, from, to } = parseReportRange(request)
    const currency = request.currency === undefined ? {} : { currency: request.currency }
    const start = from.toMillis()
    const end = to.toMillis()
    const firstWhole = Math.ceil(start / QUARTER_HOUR_MS) * QUARTER_HOUR_MS
    const lastWhole = quarterHourOf(end)

    const parts: Part[] = []
    if (firstWhole < lastWhole) parts.push(...(await wholeQuarterHours(firstWhole, lastWhole, request.group_by, currency)))
    const edges =
      firstWhole > lastWhole
        ? [[start, end]]
        : [...(start < firstWhole ? [[start, firstWhole]] : []), ...(lastWhole < end ? [[lastWhole, end]] : [])]
    for (const [edgeStart = 0, edgeEnd = 0] of edges) parts.push(...(await partialQuarterHour(edgeStart, edgeEnd, currency)))

    const zonePeriod = zonePeriods(zone, request.granularity, { from: start, to: end })
    const periods = new Map<number, { start: number; end: number }>()
    const periodOf = (bucket: number) => {
      let period = periods.get(bucket)
      if (!period) {
        period = zonePeriod.periodOf(bucket)
        periods.set(bucket, period)
      }
      return period
    }
    const groups = new Map<
      string,
      { period: { start: number; end: number }; currency: string; group?: string; sums: SummaryCounters }
    >()
    const totals = new Map<string, SummaryCounters>()
    for (const part of parts) {
      if (part.sku === ALL_SKUS) addInto(totals, part.currency, part)
      if ((request.group_by === 'sku') !== (part.sku !== ALL_SKUS)) continue
      const period = periodOf(part.bucket)
      const group = request.group_by === 'sales_rep' ? part.sales_rep : request.group_by === 'sku' ? part.sku : undefined
      const id = `${period.start}|${part.currency}|${group ?? ''}`
      let entry = groups.get(id)
      if (!entry) {
        entry = { period, currency: part.currency, ...(group === undefined ? {} : { group }), sums: zeroCounters() }
        groups.set(id, entry)
      }
      add(entry.sums, part)
    }

    const buckets = [...groups.values()]
      .sort((a, b) => a.period.start - b.period.start || compare(a.currency, b.currency) || compare(a.group ?? '', b.group ?? ''))
      .map(({ period, currency: code, group, sums }): ReportBucket => ({
        start: zonePeriod.iso(Math.max(period.start, start)),
        end: zonePeriod.iso(Math.min(period.end, end)),
        ...(request.group_by === 'sales_rep' && group !== undefined ? { sales_rep: group } : {}),
        ...(request.group_by === 'sku' && group !== undefined ? { sku: group } : {}),
        ...figures(code, sums),
      }))
    return {
      from: zonePeriod.iso(start),
      to: zonePeriod.iso(end),
      granularity: request.granularity,
      group_by: request.group_by,
      tz: zone.name,
      ...currency,
      buckets,
      totals: [...totals].sort(([a], [b]) => compare(a, b)).map(([code, sums]) => figures(code, sums)),
    }
  }

  /** The summary rows of the quarter-hours `[first, last)`: one equality lookup per UTC month. */
  async function wholeQuarterHours(first: number, last: number, groupBy: GroupBy, currency: { currency?: string }) {
    const rows: SummaryRow[] = []
    for (let month = monthOf(first); month <= monthOf(last - 1); month++) {
      rows.push(
        ...(await deps
          .summaries()
          .list(
            [{ month, bucket: { $gte: first, $lt: last }, ...currency, ...(groupBy === 'sku' ? {} : { sku: ALL_SKUS }) }],
            ALL,
          )),
      )
    }
    return rows
  }

  /** What the orders created in `[start, end)`, inside one quarter-hour, add: as the summaries count them. */
  async function partialQuarterHour(start: number, end: number, currency: { currency?: string }): Promise<Part[]> {
    const orders = await deps.orders().list([{ created_bucket: quarterHourOf(start), ...currency }], {
      sort: 'number',
      descending: false,
      limit: Number.MAX_SAFE_INTEGER,
    })
    return orders.flatMap((order) => {
      const at = Date.parse(order.created_at)
      if (at < start || at >= end) return []
      const creation = { order, at }
      const increments = [
        ...creationIncrements(creation, 0),
        ...(order.status === 'cancelled' ? cancellationIncrements(creation, 0) : []),
      ]
      return increments.map(({ key, inc }) => ({ ...key, ...inc }))
    })
  }

  return { summaries }
}

function parseReportRange(request: ReportRequest): { zone: IANAZone; from: DateTime; to: DateTime } {
  const zone = IANAZone.create(request.tz ?? 'UTC')
  const errors = zone.isValid ? [] : [{ path: 'querystring/tz', message: 'is not an IANA time zone (e.g. Asia/Kolkata)' }]
  const { from, to } = parseRange(request, zone.isValid ? zone : 'UTC', errors)
  if (!from || !to) throw new Error('unreachable: the route requires from and to')
  const days = MAX_RANGE_DAYS[request.granularity]
  if (to.toMillis() - from.toMillis() > days * DAY_MS) {
    throw new ValidationError('REPORT.INVALID_RANGE', 'The report range is too long', [
      { path: 'querystring/to', message: `a ${request.granularity}ly report covers at most ${days} days` },
    ])
  }
  return { zone, from, to }
}

function add(sums: SummaryCounters, part: Partial<SummaryCounters>): void {
  for (const counter of SUMMARY_COUNTERS) sums[counter] += part[counter] ?? 0
}

function addInto(totals: Map<string, SummaryCounters>, currency: string, part: Partial<SummaryCounters>): void {
  let sums = totals.get(currency)
  if (!sums) {
    sums = zeroCounters()
    totals.set(currency, sums)
  }
  add(sums, part)
}

function figures(currency: string, sums: SummaryCounters): CurrencyFigures {
  return {
    currency,
    ...sums,
    net_amount: sums.total_amount - sums.cancelled_amount,
    average_order_value: averageOf(sums.total_amount, sums.order_count),
  }
}

/** round_half_up(total / count), exactly. */
function averageOf(total: number, count: number): number {
  return count === 0 ? 0 : Number((2n * BigInt(total) + BigInt(count)) / (2n * BigInt(count)))
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
