import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReadEvent } from '../../../src/events/envelope.js'
import { ordersCollection, ordersProjection } from '../../../src/projections/orders-projection.js'
import { type SummaryRow, summariesCollection, summariesProjection } from '../../../src/projections/summaries-projection.js'
import { type GroupBy, createReportQueries } from '../../../src/queries/report-queries.js'
import { QUARTER_HOUR_MS } from '../../../src/shared/quarter-hours.js'
import type { ContractContext } from './context.js'
import { NO_LEASE, type ProjectionFixture, SUMMARIES, snapshot } from './harness.js'
import { DAY, HOUR, SEED, generateHistory, mulberry32 } from './history.js'
import {
  type Granularity,
  type OracleRange,
  bruteForceReport,
  bruteForceRows,
  bruteForceTotals,
  flatten,
} from './summary-oracle.js'

/** Zones reported in: UTC, half- and quarter-hour offsets, and one whose offset changes inside the history (DST). */
const ZONES = ['UTC', 'Asia/Kolkata', 'Asia/Kathmandu', 'Europe/London'] as const
const GRANULARITIES = ['hour', 'day', 'month'] as const
const GROUPINGS = ['none', 'sales_rep', 'sku'] as const
const CURRENCIES = [undefined, 'INR', 'USD'] as const
/** Europe/London moves to summer time at 2024-03-31T01:00Z: the history spans it. */
const HISTORY_START = Date.parse('2024-03-28T00:00:00.000Z')
const HISTORY_DAYS = 6
const RANDOM_REPORTS = 80

/**
 * A property test: over a large generated history in two currencies, the summaries equal a
 * brute-force recomputation row for row, and so does every report asked for random ranges
 * at arbitrary milliseconds, granularities, groupings, zones and currencies.
 */
export function describeSummariesProperty({ make, now, record }: ContractContext, propertyOrders: number): void {
  describe(`summaries property: ${propertyOrders} random orders (seed ${SEED})`, () => {
    let fixture: ProjectionFixture
    let events: ReadEvent[]
    let rows: SummaryRow[]
    const reports = () =>
      createReportQueries({
        summaries: () => summariesCollection(fixture.readModels, 1),
        orders: () => ordersCollection(fixture.readModels, 1),
      })

    beforeAll(async () => {
      fixture = await make({ now })
      const commits = generateHistory({ seed: SEED, orders: propertyOrders, days: HISTORY_DAYS, start: HISTORY_START })
      events = await record(fixture.store, commits)
      const projections = [summariesProjection, ordersProjection].map((p) => p.generation(fixture.readModels, 1, fixture.store))
      for (const projection of projections) await projection.ensureIndexes()
      let after = 0
      for (;;) {
        const page = await fixture.store.readAll({ after, limit: 100 })
        if (page.events.length === 0) break
        for (const projection of projections) await projection.apply(page.events, NO_LEASE)
        after = page.position
      }
      rows = await snapshot(SUMMARIES, fixture.readModels, 1)
    })
    afterAll(async () => {
      await fixture.cleanup()
    })

    it('the generated history covers what the property is about', () => {
      const created = new Map(events.filter((e) => e.type === 'order.created').map((e) => [e.stream, e]))
      const cancels = events.filter((e) => e.type === 'order.cancelled')
      const day = (e: ReadEvent) => e.metadata.timestamp.slice(0, 10)
      expect(created.size).toBe(propertyOrders)
      expect(new Set([...created.values()].map(day)).size).toBeGreaterThanOrEqual(5)
      expect(new Set([...created.values()].map((e) => e.data.sales_rep)).size).toBeGreaterThanOrEqual(3)
      expect(new Set([...created.values()].map((e) => e.data.currency))).toEqual(new Set(['INR', 'USD']))
      expect(new Set(rows.map((r) => r.sku)).size).toBeGreaterThanOrEqual(6) // 5+ SKUs and "*"
      expect(cancels.length / propertyOrders).toBeGreaterThan(0.1)
      expect(cancels.length / propertyOrders).toBeLessThan(0.4)
      expect(cancels.filter((c) => day(c) !== day(created.get(c.stream) as ReadEvent)).length).toBeGreaterThan(0)
    })

    it('every row equals a brute-force recomputation from the raw events', () => {
      expect(rows, `seed ${SEED}`).toStrictEqual(bruteForceRows(events))
    })

    it(`${RANDOM_REPORTS} reports over random ranges at arbitrary milliseconds equal a brute force, per currency`, async () => {
      const rng = mulberry32(SEED)
      const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T
      const creations = events.filter((e) => e.type === 'order.created').map((e) => Date.parse(e.metadata.timestamp))
      const instant = () => {
        const ms = HISTORY_START - DAY + Math.floor(rng() * (HISTORY_DAYS + 2) * DAY)
        const shape = rng()
        if (shape < 0.15) return ms - (ms % QUARTER_HOUR_MS) // on a quarter hour
        if (shape < 0.4) return pick(creations) + pick([0, 1]) // at an order's very millisecond, or just after
        return ms
      }
      const lengths = [7 * 60_000, QUARTER_HOUR_MS, 3 * HOUR, DAY, 3 * DAY, 9 * DAY]
      let edgesInsideOneQuarterHour = 0
      for (let i = 0; i < RANDOM_REPORTS; i++) {
        const from = instant()
        const later = creations.filter((at) => at > from && at - from < 3 * DAY)
        // Often ending at an order's very millisecond (which must be left out) or just after it.
        const to = rng() < 0.4 && later.length > 0 ? pick(later) + pick([0, 1]) : from + 1 + Math.floor(rng() * pick(lengths))
        if (Math.floor(from / QUARTER_HOUR_MS) === Math.floor(to / QUARTER_HOUR_MS)) edgesInsideOneQuarterHour++
        const zone = pick(ZONES)
        const granularity: Granularity = pick(GRANULARITIES)
        const groupBy: GroupBy = pick(GROUPINGS)
        const currency = pick(CURRENCIES)
        const range: OracleRange = { from, to, zone, ...(currency ? { currency } : {}) }
        const request = {
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          granularity,
          group_by: groupBy,
          tz: zone,
          ...(currency ? { currency } : {}),
        }
        const label = `seed ${SEED}, report ${i}: ${JSON.stringify(request)}`
        const report = await reports().summaries(request)
        expect(flatten(report), label).toStrictEqual(bruteForceReport(events, groupBy, granularity, range))
        expect(report.totals, label).toStrictEqual(bruteForceTotals(events, range))
        for (const bucket of report.buckets) if (currency) expect(bucket.currency, label).toBe(currency)
      }
      expect(edgesInsideOneQuarterHour).toBeGreaterThan(0)
    })

    it('across the DST change, London days are 23 hours long and every local hour is a bucket of its own', async () => {
      const report = await reports().summaries({
        from: '2024-03-30',
        to: '2024-04-01',
        granularity: 'day',
        group_by: 'none',
        tz: 'Europe/London',
      })
      const range = { from: Date.parse('2024-03-30T00:00:00Z'), to: Date.parse('2024-03-31T23:00:00Z'), zone: 'Europe/London' }
      expect(report.to).toBe('2024-04-01T00:00:00.000+01:00')
      expect(flatten(report), `seed ${SEED}`).toStrictEqual(bruteForceReport(events, 'none', 'day', range))
      const starts = new Set(report.buckets.map((b) => b.start))
      expect(starts.has('2024-03-31T00:00:00.000+00:00')).toBe(true)
    })
  })
}
