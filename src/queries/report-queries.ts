import { DateTime, IANAZone } from 'luxon'
import type { ReadModelCollection } from '../projections/read-model.js'
import {
  ALL_SKUS,
  BUCKET_MS,
  SUMMARY_COUNTERS,
  type SummaryCounters,
  type SummaryRow,
  zeroCounters,
} from '../projections/summaries-projection.js'
import { type FieldError, ValidationError } from '../shared/errors.js'
import { instantProblem, parseInstant } from '../shared/instant.js'

export type Granularity = 'hour' | 'day' | 'month'
export type GroupBy = 'none' | 'sales_rep' | 'sku'

export interface ReportRequest {
  from: string
  to: string
  granularity: Granularity
  group_by: GroupBy
  /** IANA time zone for day/month/hour boundaries and for dates without an offset (default UTC). */
  tz?: string
}

export type ReportBucket = SummaryCounters & {
  start: string
  end: string
  sales_rep?: string
  sku?: string
  /** total_amount − cancelled_amount. */
  net_amount: number
  /** total_amount / order_count, rounded half up (0 without orders). */
  average_order_value: number
}

export interface Report {
  from: string
  to: string
  granularity: Granularity
  group_by: GroupBy
  tz: string
  buckets: ReportBucket[]
}

const DAY_MS = 86_400_000
const MAX_RANGE_DAYS: Record<Granularity, number> = { hour: 366, day: 3660, month: 36_600 }

export type ReportQueries = ReturnType<typeof createReportQueries>

/**
 * Revenue summaries from the quarter-hour rows of `order_summaries`: each row falls in
 * exactly one local hour, day or month of any IANA zone (offsets are multiples of 15
 * minutes), so every bucket is an exact sum. Buckets without orders are left out.
 */
export function createReportQueries(deps: { summaries: () => ReadModelCollection<SummaryRow> }) {
  async function summaries(request: ReportRequest): Promise<Report> {
    const { zone, from, to } = parseRange(request)
    const rows = await deps
      .summaries()
      .list(
        [
          { bucket: { $gte: from.toMillis(), $lt: to.toMillis() } },
          request.group_by === 'sku' ? { sku: { $ne: ALL_SKUS } } : { sku: ALL_SKUS },
        ],
        { sort: 'bucket', descending: false, limit: Number.MAX_SAFE_INTEGER },
      )

    const periods = new Map<number, DateTime>()
    const periodOf = (bucket: number) => {
      let start = periods.get(bucket)
      if (!start) {
        start = DateTime.fromMillis(bucket, { zone }).startOf(request.granularity)
        periods.set(bucket, start)
      }
      return start
    }

    const groups = new Map<string, { start: DateTime; group?: string; sums: SummaryCounters }>()
    for (const row of rows) {
      const start = periodOf(row.bucket)
      const group = request.group_by === 'sales_rep' ? row.sales_rep : request.group_by === 'sku' ? row.sku : undefined
      const id = `${start.toMillis()}|${group ?? ''}`
      let entry = groups.get(id)
      if (!entry) {
        entry = {
          start,
          ...(group === undefined ? {} : { group }),
          sums: zeroCounters(),
        }
        groups.set(id, entry)
      }
      for (const counter of SUMMARY_COUNTERS) entry.sums[counter] += row[counter]
    }

    const buckets = [...groups.values()]
      .sort((a, b) => a.start.toMillis() - b.start.toMillis() || (a.group ?? '').localeCompare(b.group ?? ''))
      .map(({ start, group, sums }): ReportBucket => {
        const end = start.plus({ [request.granularity]: 1 })
        return {
          start: iso(DateTime.max(start, from)),
          end: iso(DateTime.min(end, to)),
          ...(request.group_by === 'sales_rep' && group !== undefined ? { sales_rep: group } : {}),
          ...(request.group_by === 'sku' && group !== undefined ? { sku: group } : {}),
          ...sums,
          net_amount: sums.total_amount - sums.cancelled_amount,
          average_order_value: averageOf(sums.total_amount, sums.order_count),
        }
      })
    return { from: iso(from), to: iso(to), granularity: request.granularity, group_by: request.group_by, tz: zone.name, buckets }
  }

  return { summaries }
}

function parseRange(request: ReportRequest): { zone: IANAZone; from: DateTime; to: DateTime } {
  const errors: FieldError[] = []
  const zone = IANAZone.create(request.tz ?? 'UTC')
  if (!zone.isValid) errors.push({ path: 'querystring/tz', message: 'is not an IANA time zone (e.g. Asia/Kolkata)' })
  const parse = (field: 'from' | 'to') => {
    const value = parseInstant(request[field], zone.isValid ? zone : 'UTC') ?? DateTime.invalid('not an instant')
    if (!value.isValid) errors.push({ path: `querystring/${field}`, message: instantProblem(request[field]) })
    else if (value.toMillis() % BUCKET_MS !== 0)
      errors.push({ path: `querystring/${field}`, message: 'must fall on a quarter hour (summaries are kept per 15 minutes)' })
    return value
  }
  const from = parse('from')
  const to = parse('to')
  if (errors.length === 0) {
    if (from >= to) errors.push({ path: 'querystring/to', message: 'must be after from' })
    else if (to.toMillis() - from.toMillis() > MAX_RANGE_DAYS[request.granularity] * DAY_MS) {
      errors.push({
        path: 'querystring/to',
        message: `a ${request.granularity}ly report covers at most ${MAX_RANGE_DAYS[request.granularity]} days`,
      })
    }
  }
  if (errors.length > 0) throw new ValidationError('REPORT.INVALID_RANGE', 'The report range is invalid', errors)
  return { zone, from, to }
}

/** round_half_up(total / count), exactly. */
function averageOf(total: number, count: number): number {
  return count === 0 ? 0 : Number((2n * BigInt(total) + BigInt(count)) / (2n * BigInt(count)))
}

function iso(value: DateTime): string {
  return value.toISO({ suppressMilliseconds: false }) ?? ''
}
