import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReadEvent } from '../../../src/events/envelope.js'
import { type SummaryRow, summariesCollection, summariesProjection } from '../../../src/projections/summaries-projection.js'
import { createReportQueries } from '../../../src/queries/report-queries.js'
import type { ContractContext } from './context.js'
import { NO_LEASE, type ProjectionFixture, SUMMARIES, snapshot } from './harness.js'
import { MINUTE, SEED, generateHistory } from './history.js'
import { type Granularity, bruteForceReport, bruteForceRows, countersOf, flatten, rollUp } from './summary-oracle.js'

/** A property test: over a large generated history, the summaries and every report equal a brute-force recomputation. */
export function describeSummariesProperty({ make, now, record }: ContractContext, propertyOrders: number): void {
  describe(`summaries property: ${propertyOrders} random orders (seed ${SEED})`, () => {
    let fixture: ProjectionFixture
    let events: ReadEvent[]
    let rows: SummaryRow[]
    /** The zones reported in, with their (DST-free) offsets east of UTC in minutes. */
    const zones = [
      ['UTC', 0],
      ['Asia/Kolkata', 330],
      ['Asia/Kathmandu', 345],
    ] as const
    const offsetSuffix = (offsetMin: number) =>
      `+${String(Math.floor(offsetMin / 60)).padStart(2, '0')}:${String(offsetMin % 60).padStart(2, '0')}`
    const range = { from: '2024-02-01T00:00:00', to: '2024-04-01T00:00:00' }
    const rangeEnd = (offsetMin: number) => Date.parse('2024-04-01T00:00:00.000Z') - offsetMin * MINUTE
    const reports = () => createReportQueries({ summaries: () => summariesCollection(fixture.readModels, 1) })

    beforeAll(async () => {
      fixture = await make({ now })
      const commits = generateHistory({
        seed: SEED,
        orders: propertyOrders,
        days: 6,
        start: Date.parse('2024-02-27T00:00:00.000Z'),
      })
      events = await record(fixture.store, commits)
      const projection = summariesProjection.generation(fixture.readModels, 1, fixture.store)
      await projection.ensureIndexes()
      let after = 0
      for (;;) {
        const page = await fixture.store.readAll({ after, limit: 100 })
        if (page.events.length === 0) break
        await projection.apply(page.events, NO_LEASE)
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
      expect(new Set(rows.map((r) => r.sku)).size).toBeGreaterThanOrEqual(5) // 4+ SKUs and "*"
      expect(cancels.length / propertyOrders).toBeGreaterThan(0.1)
      expect(cancels.length / propertyOrders).toBeLessThan(0.4)
      expect(cancels.filter((c) => day(c) !== day(created.get(c.stream) as ReadEvent)).length).toBeGreaterThan(0)
      expect(
        cancels.filter((c) => c.metadata.timestamp.slice(0, 13) !== created.get(c.stream)?.metadata.timestamp.slice(0, 13))
          .length,
      ).toBeGreaterThan(0)
    })

    it('every row equals a brute-force recomputation from the raw events', () => {
      expect(rows, `seed ${SEED}`).toStrictEqual(bruteForceRows(events))
    })

    for (const [tz, offsetMin] of zones) {
      for (const groupBy of ['none', 'sales_rep', 'sku'] as const) {
        it(`report in ${tz}, group_by ${groupBy}: hours equal a brute force over local hours; days and months are sums of hours`, async () => {
          const query = (granularity: Granularity) => reports().summaries({ ...range, granularity, group_by: groupBy, tz })
          const end = rangeEnd(offsetMin)
          const hours = await query('hour')
          expect(hours.tz).toBe(tz)
          for (const bucket of hours.buckets) {
            expect(Object.keys(bucket).filter((key) => key === 'sales_rep' || key === 'sku')).toEqual(
              groupBy === 'none' ? [] : [groupBy],
            )
            if (offsetMin > 0) expect(bucket.start.endsWith(offsetSuffix(offsetMin)), bucket.start).toBe(true)
          }
          const hourly = flatten(hours)
          expect(hourly, `seed ${SEED}`).toStrictEqual(bruteForceReport(events, groupBy, 'hour', offsetMin, end))

          const asItems = hourly.map((h) => ({
            at: h.start,
            group: h.group,
            counters: countersOf(h),
          }))
          for (const granularity of ['day', 'month'] as const) {
            const report = flatten(await query(granularity))
            expect(report, `${granularity} = sum of hours, seed ${SEED}`).toStrictEqual(
              rollUp(asItems, granularity, offsetMin, end),
            )
          }
        })
      }
    }
  })
}
