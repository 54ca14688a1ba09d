import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryGenerationStore } from '../../src/consumers/memory-generation-store.js'
import { MemoryLeaseStore } from '../../src/consumers/memory-lease-store.js'
import { type ProjectionManager, startProjectionManager } from '../../src/consumers/projection-manager.js'
import { createEventStore } from '../../src/events/event-store.js'
import { MemoryCommitLog } from '../../src/events/memory-commit-log.js'
import { HOUR_MS, lastClosedHour, reconcileHour } from '../../src/jobs/reconcile-summaries.js'
import { applyCorrections } from '../../src/jobs/summary-corrections.js'
import { type SummariesWriterLink, localSummariesWriter, localWriterLink } from '../../src/jobs/summaries-writer-link.js'
import { MemoryReadModelStore } from '../../src/projections/memory-read-model.js'
import type { ProjectionName } from '../../src/projections/projection.js'
import { managedProjections } from '../../src/projections/registry.js'
import { type SummaryRow, summariesCollection } from '../../src/projections/summaries-projection.js'
import { QUARTER_HOUR_MS } from '../../src/shared/quarter-hours.js'
import { orderHistory } from '../support/jobs-history.js'
import { recordingLog } from '../support/jobs-fixtures.js'
import { NO_LEASE, byId } from '../support/projections/harness.js'
import { MINUTE } from '../support/projections/history.js'

const NOW = Date.parse('2026-11-30T10:05:00.000Z')
const HOUR = lastClosedHour(new Date(NOW)) // 09:00–10:00
const REP_A = 'alice@example.com'
const REP_B = 'bob@example.com'

/** One instance's worth of the service, in memory: an event store and the projections over shared storage. */
function embedded() {
  const commitLog = new MemoryCommitLog()
  const store = createEventStore(commitLog, { source: 'service' })
  const readModels = new MemoryReadModelStore()
  const leases = new MemoryLeaseStore()
  const generations = new MemoryGenerationStore()
  const history = orderHistory(commitLog)
  let manager: ProjectionManager<ProjectionName>
  const start = (holder: string) => {
    manager = startProjectionManager({
      store,
      leases,
      generations,
      projections: managedProjections(readModels, store),
      holder,
      pollMs: 10,
    })
    return manager.ready()
  }
  const repairs: number[] = []
  // The writer link the service uses when embedded, counting the repairs asked of it.
  const link = localWriterLink((request, signal) => localSummariesWriter(manager, readModels)(request, signal))
  const writer: SummariesWriterLink = {
    repair: (request, signal) => {
      repairs.push(request.corrections.length)
      return link.repair(request, signal)
    },
    close: () => undefined,
  }
  return {
    history,
    readModels,
    repairs,
    start,
    stop: () => manager.stop(),
    /** Waits until the summaries projection has applied every event stored. */
    async caughtUp() {
      expect((await manager.waitFor('summaries', await store.headPosition(), 5000)).reached).toBe(true)
    },
    rows: () => summariesCollection(readModels, manager.liveGeneration('summaries')),
    async hourRows(hourStart = HOUR): Promise<SummaryRow[]> {
      const rows = summariesCollection(readModels, manager.liveGeneration('summaries'))
      const found = await rows.list([], { sort: 'bucket', descending: false, limit: 10_000 })
      return byId(found.filter((row) => row.bucket >= hourStart && row.bucket < hourStart + HOUR_MS))
    },
    reconcile: (hourStart = HOUR, log = recordingLog()) =>
      reconcileHour({ store, readModels, leases, generations, writer }, hourStart, { signal: new AbortController().signal, log }),
  }
}

describe('reports.reconcile (embedded: the projection writer in this process)', () => {
  let service: ReturnType<typeof embedded>

  beforeEach(async () => {
    service = embedded()
    await service.start('instance-1')
    const { history } = service
    // Orders in each quarter of the hour, on its edges, and just outside it on both sides.
    await history.created('ORD-00001', REP_A, { 'SKU-A': 2, 'SKU-B': 1 }, HOUR - 1)
    await history.created('ORD-00002', REP_A, { 'SKU-A': 1 }, HOUR)
    await history.created('ORD-00003', REP_B, { 'SKU-C': 5 }, HOUR + 20 * MINUTE)
    await history.created('ORD-00004', REP_A, { 'SKU-A': 3, 'SKU-C': 1 }, HOUR + 31 * MINUTE)
    await history.created('ORD-00005', REP_B, { 'SKU-B': 4 }, HOUR + 59 * MINUTE)
    await history.created('ORD-00006', REP_A, { 'SKU-A': 1 }, HOUR + HOUR_MS)
    // Cancelled after the hour closed: it counts in the bucket of the order's creation.
    await history.cancelled('ORD-00004', HOUR + HOUR_MS + 30_000)
    await service.caughtUp()
  })
  afterEach(async () => {
    await service.stop()
  })

  it('finds no drift in a projection left alone, and writes nothing', async () => {
    const before = await service.hourRows()
    expect(before).toEqual(await service.history.expectedRows(HOUR))
    expect(new Set(before.map((row) => row.bucket)).size).toBe(4)
    const log = recordingLog()
    expect(await service.reconcile(HOUR, log)).toMatchObject({ hour: '2026-11-30T09:00:00.000Z', rows: before.length, drift: 0 })
    expect(service.repairs).toEqual([])
    expect(await service.hourRows()).toEqual(before)
    expect(log.lines.filter((line) => line.level === 'warn')).toEqual([])
  })

  it('repairs drifted, missing and stray rows of the hour, logs each, and leaves other hours alone', async () => {
    const rows = service.rows()
    const [drifted, missing] = (await service.hourRows()).filter((row) => row.sku !== '*')
    if (!drifted || !missing) throw new Error('fixture: too few rows')
    await rows.replaceIf({ ...drifted, items_sold: drifted.items_sold + 7, total_amount: 1 }, drifted.last_position)
    await rows.deleteIf(missing._id, missing.last_position)
    const stray = {
      ...drifted,
      _id: `${HOUR + QUARTER_HOUR_MS}|INR|mallory@example.com|SKU-A`,
      sales_rep: 'mallory@example.com',
      bucket: HOUR + QUARTER_HOUR_MS,
    }
    await rows.putGuarded(stray)
    const nextHour = (await service.hourRows(HOUR + HOUR_MS))[0]
    if (!nextHour) throw new Error('fixture: no row in the next hour')
    await rows.replaceIf({ ...nextHour, order_count: 40 }, nextHour.last_position)

    const log = recordingLog()
    expect(await service.reconcile(HOUR, log)).toMatchObject({ drift: 3 })
    expect(await service.hourRows()).toEqual(await service.history.expectedRows(HOUR))
    expect(await rows.get(nextHour._id)).toMatchObject({ order_count: 40 }) // not this run's hour
    const warnings = log.lines.filter((line) => line.level === 'warn')
    expect(warnings.map((line) => line.message)).toEqual(['summary drift', 'summary drift', 'summary drift'])
    expect(warnings.map((line) => line.fields)).toContainEqual(
      expect.objectContaining({
        row: drifted._id,
        sku: drifted.sku,
        sales_rep: drifted.sales_rep,
        from: expect.objectContaining({ items_sold: drifted.items_sold + 7, total_amount: 1 }) as unknown,
        to: expect.objectContaining({ items_sold: drifted.items_sold, total_amount: drifted.total_amount }) as unknown,
      }),
    )
    expect(warnings.map((line) => line.fields)).toContainEqual(expect.objectContaining({ row: stray._id, to: null }))
    expect(warnings.map((line) => line.fields)).toContainEqual(expect.objectContaining({ row: missing._id, from: null }))
    expect(await service.reconcile()).toMatchObject({ drift: 0 })
  })

  it("a repaired row stays repaired when the projector's cached copy of it was stale, as more orders for it arrive", async () => {
    const lastQuarter = HOUR + 45 * MINUTE
    const row = (await service.hourRows()).find((r) => r.bucket === lastQuarter && r.sales_rep === REP_B && r.sku === 'SKU-B')
    if (!row) throw new Error('fixture: no SKU-B row for rep B in the last quarter')
    await service.rows().replaceIf({ ...row, items_sold: row.items_sold + 100 }, row.last_position)
    // The lease moves to another instance, whose writer starts with nothing cached; a late
    // commit for the bucket (stamped before the hour ended, stored 40 s later) makes it read
    // the drifted row, add to it, and keep that copy between batches.
    await service.stop()
    await service.start('instance-2')
    await service.history.created('ORD-00007', REP_B, { 'SKU-B': 1 }, HOUR + HOUR_MS - 20_000)
    await service.caughtUp()
    expect((await service.rows().get(row._id))?.items_sold).toBe(row.items_sold + 100 + 1)

    expect(await service.reconcile()).toMatchObject({ drift: 1 })
    // More for the same row: another late commit, and a cancellation of one of its orders.
    await service.history.created('ORD-00008', REP_B, { 'SKU-B': 2 }, HOUR + HOUR_MS - 10_000)
    await service.history.cancelled('ORD-00005', HOUR + HOUR_MS + 4 * MINUTE)
    await service.caughtUp()
    expect(await service.rows().get(row._id)).toMatchObject({ items_sold: row.items_sold + 1 + 2, cancelled_count: 1 })
    expect(await service.hourRows()).toEqual(await service.history.expectedRows(HOUR))
    expect(await service.reconcile()).toMatchObject({ drift: 0 })
  })

  it('a scheduled occurrence reconciles the hour before the one it falls in (the last closed hour)', () => {
    expect(new Date(lastClosedHour(new Date('2026-11-30T10:05:00.000Z'))).toISOString()).toBe('2026-11-30T09:00:00.000Z')
    expect(new Date(lastClosedHour(new Date('2026-11-30T00:00:00.000Z'))).toISOString()).toBe('2026-11-29T23:00:00.000Z')
  })
})

describe('corrections, applied by the writer', () => {
  it('rewrites a row only while it is as the job found it; a row changed since is left alone as moved', async () => {
    const rows = summariesCollection(new MemoryReadModelStore(), 1)
    const row = (n: number, fields: Partial<SummaryRow> = {}): SummaryRow => ({
      _id: `row-${n}`,
      last_position: 10 * n,
      bucket: 0,
      month: 0,
      currency: 'INR',
      sales_rep: REP_A,
      sku: '*',
      order_count: 1,
      items_sold: 1,
      subtotal: 100,
      tax_amount: 18,
      total_amount: 118,
      cancelled_count: 0,
      cancelled_amount: 0,
      ...fields,
    })
    await rows.putGuarded(row(1, { order_count: 9 }))
    await rows.putGuarded(row(2, { order_count: 9, last_position: 25 })) // moved on since the job looked
    const forgotten: string[] = []
    const answer = await applyCorrections(
      rows,
      [
        { id: 'row-1', found: row(1, { order_count: 9 }), wanted: row(1) },
        { id: 'row-2', found: row(2, { order_count: 9 }), wanted: row(2) },
        { id: 'row-3', found: null, wanted: row(3) },
      ],
      { lease: NO_LEASE, forget: (ids) => forgotten.push(...ids) },
    )
    expect(answer).toEqual({ repaired: ['row-1', 'row-3'], moved: ['row-2'] })
    expect(await rows.getMany(['row-1', 'row-2', 'row-3'])).toEqual(
      expect.arrayContaining([row(1), row(2, { order_count: 9, last_position: 25 }), row(3)]),
    )
    expect(forgotten).toEqual(['row-1', 'row-2', 'row-3'])
  })
})
